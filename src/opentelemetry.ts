/**
 * OpenTelemetry tracing and metrics for surefetch calls: `surefetch/opentelemetry`
 * (`@opentelemetry/api` is an optional peer). One span per call, covering every attempt, wait
 * and lookup, with surefetch's events as span events; the HTTP client duration metrics.
 *
 * @example
 * ```ts
 * import { createFetch, retry, rateLimit } from 'surefetch';
 * import { openTelemetry } from 'surefetch/opentelemetry';
 * const sureFetch = createFetch({ middleware: [openTelemetry(), retry(), rateLimit()] });
 * ```
 *
 * @packageDocumentation
 */
export { openTelemetry, type OpenTelemetryOptions } from './observability/open-telemetry.js';
