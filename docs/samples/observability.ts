/**
 * Code samples of the guide "Events, logs and metrics" (docs/guides/observability.md).
 * Type-checked with the project (`npm run typecheck`), not run; what they rely on is tested in
 * test/send-events.test.ts and test/send-events-paths.test.ts.
 */
import { createFetch, otelAttributes, rateLimit, retry, type OtelAttributes, type SurefetchEvent } from 'surefetch';

// The shapes of the OpenTelemetry API this sample uses (from @opentelemetry/api in an application).
declare const span: { addEvent(name: string, attributes: OtelAttributes): void };
declare const requestDuration: { record(value: number, attributes: OtelAttributes): void };
declare const logger: { info(fields: Record<string, unknown>): void; warn(fields: Record<string, unknown>): void };

// #region log-lines
// One line per request the server got, and one per decision surefetch took about the call.
export function logEvent(event: SurefetchEvent): void {
  switch (event.type) {
    case 'attempt-end':
      logger.info({
        call: event.clientRequestId,
        operation: event.operation,
        send: event.send,
        lookup: event.purpose === 'lookup',
        status: event.status ?? event.errorCode,
        verdict: event.verdict,
        sent: event.sent,
        ms: event.durationMs,
      });
      break;
    case 'retry':
    case 'wait':
      logger.info({ call: event.clientRequestId, operation: event.operation, [event.type]: event.delayMs });
      break;
    case 'give-up':
      logger.warn({ call: event.clientRequestId, operation: event.operation, code: event.errorCode, message: event.message });
      break;
    default:
      break;
  }
}

const sureFetch = createFetch({ middleware: [retry(), rateLimit()], onEvent: logEvent });
// #endregion log-lines

// #region otel
// Every event as a span event; every request's duration in a histogram, by status and verdict.
export const tracedFetch = createFetch({
  middleware: [retry(), rateLimit()],
  onEvent: (event) => {
    const attributes = otelAttributes(event);
    span.addEvent(`surefetch.${event.type}`, attributes);
    if (event.type === 'attempt-end') requestDuration.record(event.durationMs / 1000, attributes);
  },
});
// #endregion otel

export { sureFetch };
