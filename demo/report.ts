/** Formats what happened to each demo call. */
import { AmbiguousOutcomeError, HttpError, RetryLaterError, SurefetchError, type SurefetchEvent } from 'surefetch';

/** One demo call: its events and how it ended. */
export interface CallReport {
  readonly name: string;
  readonly events: readonly SurefetchEvent[];
  readonly outcome: { readonly ok: true; readonly status: number } | { readonly ok: false; readonly error: unknown };
  readonly elapsedMs: number;
}

/** A few lines describing one call: each attempt, each wait, and the result. */
export function describeOutcome(label: string, report: CallReport): string {
  const lines = [`${label} ${report.name}`];
  const started = report.events[0]?.time ?? 0;
  for (const event of report.events) {
    if (event.purpose === 'lookup') {
      // The existence check's reads: only their answers, with when they were made.
      if (event.type === 'attempt-end') lines.push(`   existence check read at +${event.time - started} ms: ${event.status === undefined ? (event.errorCode ?? 'no answer') : `HTTP ${event.status}`}`);
    } else if (event.type === 'attempt-end') {
      const answer = event.status === undefined ? (event.errorCode ?? 'no answer') : `HTTP ${event.status}`;
      lines.push(`   attempt ${event.attempt}: ${answer} -> ${event.verdict}, ${event.sent}`);
    } else if (event.type === 'retry') {
      lines.push(`   backoff ${event.delayMs} ms (${event.reason})`);
    } else if (event.type === 'wait') {
      lines.push(`   server-directed wait ${event.delayMs} ms (from ${event.source})`);
    } else if (event.type === 'recovered') {
      lines.push(`   recovered via ${event.via}`);
    }
  }
  lines.push(`   => ${resultOf(report)} [${report.elapsedMs} ms]`);
  return lines.join('\n');
}

function resultOf(report: CallReport): string {
  if (report.outcome.ok) return `success, HTTP ${report.outcome.status}`;
  const { error } = report.outcome;
  if (error instanceof HttpError) {
    const details = error.details.map((detail) => `${detail.field}: ${detail.message}`).join('; ');
    return `${error.name} ${error.status} ${error.code} "${error.serverMessage}"${details ? ` [${details}]` : ''}`;
  }
  if (error instanceof AmbiguousOutcomeError) return `${error.name}: not re-sent (client request id ${error.clientRequestId})`;
  if (error instanceof RetryLaterError) return `${error.name}: hand back to the queue, retry at ${new Date(error.retryAt).toISOString()}`;
  if (error instanceof SurefetchError) return `${error.name} ${error.code}: ${error.message}`;
  return `unexpected: ${String(error)}`;
}

/** Prints the closing summary. */
export function printSummary(reports: readonly CallReport[], records: { orders: number; warehouseOrders: number; duplicates: number }): void {
  const ok = reports.filter((report) => report.outcome.ok).length;
  const attempts = reports.reduce((sum, report) => sum + report.events.filter((event) => event.type === 'attempt' && event.purpose === undefined).length, 0);
  const waits = reports.reduce((sum, report) => sum + report.events.filter((event) => event.type === 'wait').length, 0);
  const recovered = reports.reduce((sum, report) => sum + report.events.filter((event) => event.type === 'recovered').length, 0);
  console.log(
    `\nsummary: ${reports.length} calls, ${ok} succeeded, ${reports.length - ok} failed with a typed error; ${attempts} attempts sent, ${waits} server-directed waits, ${recovered} recoveries; ` +
      `fulfillment holds ${records.orders} orders, warehouse ${records.warehouseOrders}; duplicate creates: ${records.duplicates}`,
  );
}
