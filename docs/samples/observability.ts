/**
 * Code samples of the guide "Events, logs and metrics" (docs/guides/observability.md).
 * Type-checked with the project (`npm run typecheck`), not run; what they rely on is tested in
 * test/send-events.test.ts, test/send-events-paths.test.ts and test/opentelemetry.test.ts.
 */
import { context, metrics, propagation } from '@opentelemetry/api';
import { createFetch, idempotency, otelAttributes, rateLimit, retry, type FetchFunction, type OtelAttributes, type SurefetchEvent } from 'surefetch';
import { openTelemetry } from 'surefetch/opentelemetry';

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

// #region open-telemetry
// One span per call, first in the chain so that it covers every layer; metrics with a meter.
export const instrumentedFetch = createFetch({
  middleware: [openTelemetry({ meter: metrics.getMeter('surefetch') }), idempotency(), retry(), rateLimit()],
});
// #endregion open-telemetry

// #region propagation
// For a fetch that no instrumentation sees: a copy of each request's headers gets the active
// context's trace header (the call span's, set active by openTelemetry), below idempotency,
// which has already compared the request by then.
const propagatingFetch: FetchFunction = (input, init?: RequestInit) => {
  const headers = new Headers(init?.headers);
  propagation.inject(context.active(), headers, { set: (carrier, key, value) => carrier.set(key, value) });
  return globalThis.fetch(input, { ...init, headers });
};
export const propagatedFetch = createFetch({ fetch: propagatingFetch, middleware: [openTelemetry(), retry()] });
// #endregion propagation

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
