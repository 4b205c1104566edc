import type { SurefetchEvent } from '../core/events.js';

/** OpenTelemetry-style attributes of one event: a flat record of strings and numbers. */
export type OtelAttributes = Readonly<Record<string, string | number>>;

/**
 * Maps an event to attribute names of OpenTelemetry's HTTP semantic conventions where one
 * exists (`http.request.method`, `url.full`, `http.response.status_code`,
 * `http.request.resend_count`, `error.type`) and `surefetch.*` names for the rest, ready for a
 * span event, a log line or a metric's labels. The URL is already redacted. An existence
 * check's reads carry `surefetch.purpose: 'lookup'`.
 *
 * @example
 * ```ts
 * const sureFetch = createFetch({ onEvent: (event) => span.addEvent(`surefetch.${event.type}`, otelAttributes(event)) });
 * ```
 */
export function otelAttributes(event: SurefetchEvent): OtelAttributes {
  const attributes: Record<string, string | number> = {
    'http.request.method': event.method,
    'url.full': event.url,
    // A send's own place counts every re-send (rateLimit's too); other events have their attempt's.
    'http.request.resend_count': (event.type === 'attempt' || event.type === 'attempt-end' ? event.send : event.attempt) - 1,
    'surefetch.event': event.type,
    'surefetch.operation': event.operation,
    'surefetch.client_request_id': event.clientRequestId,
  };
  // A lookup's sends are numbered on their own: without this, its attempt-end reads as the call's.
  if (event.purpose !== undefined) attributes['surefetch.purpose'] = event.purpose;
  switch (event.type) {
    case 'attempt-end':
      attributes['surefetch.verdict'] = event.verdict;
      attributes['surefetch.sent'] = event.sent;
      attributes['surefetch.duration_ms'] = event.durationMs;
      if (event.status !== undefined) attributes['http.response.status_code'] = event.status;
      if (event.errorCode !== undefined) attributes['error.type'] = event.errorCode;
      break;
    case 'retry':
      attributes['surefetch.delay_ms'] = event.delayMs;
      attributes['surefetch.reason'] = event.reason;
      break;
    case 'wait':
      attributes['surefetch.delay_ms'] = event.delayMs;
      attributes['surefetch.retry_at'] = new Date(event.retryAt).toISOString();
      attributes['surefetch.wait_source'] = event.source;
      break;
    case 'give-up':
      attributes['error.type'] = event.errorCode;
      break;
    case 'recovered':
      attributes['surefetch.recovered_via'] = event.via;
      break;
    case 'circuit':
      attributes['surefetch.circuit_state'] = event.state;
      attributes['surefetch.api'] = event.api;
      break;
    case 'attempt':
      break;
  }
  return attributes;
}
