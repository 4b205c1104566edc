import { context, isSpanContextValid, SpanKind, trace, type Meter, type Span, type Tracer } from '@opentelemetry/api';
import type { CallContext, Middleware, Next } from '../core/types.js';
import { urlOf } from '../pipeline/request-spec.js';
import { CallTelemetry, quietly, type CallInstruments } from './call-telemetry.js';
import { requestConventions } from './http-conventions.js';
import { contextWith } from '../core/derive-context.js';

/** Options of {@link openTelemetry}. */
export interface OpenTelemetryOptions {
  /**
   * The tracer the call spans are made with.
   * @default trace.getTracer('surefetch'), the global tracer provider's (a no-op until one is registered)
   */
  readonly tracer?: Tracer;
  /**
   * The meter of the two histograms, `http.client.request.duration` and
   * `surefetch.call.duration`. None is taken by default: a meter cannot tell whether anything
   * reads it, and recording costs every call its events.
   * @default none: no metrics
   */
  readonly meter?: Meter;
  /**
   * The call span's kind. OpenTelemetry's HTTP conventions want one `CLIENT` span per request
   * sent, and no encompassing `CLIENT` span beside those: where a fetch instrumentation makes a
   * span per request (`@opentelemetry/instrumentation-undici`, part of
   * `auto-instrumentations-node`, does for Node's fetch, which ky, ofetch and openapi-fetch use
   * too), the call span is the logical operation over them, `INTERNAL`. With no such
   * instrumentation the call span is the client's only HTTP span: `'client'` shows it as one.
   * @default 'internal'
   */
  readonly spanKind?: 'client' | 'internal';
}

// OpenTelemetry's advice for `http.client.request.duration`, in seconds.
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
// A call adds its waits (60 s each by default) to its requests: the same, up to several minutes.
const CALL_BUCKETS = [...REQUEST_BUCKETS, 30, 60, 120, 300];

/**
 * A middleware that gives each call one OpenTelemetry span (`SpanKind.INTERNAL`, over the
 * per-request spans of a fetch instrumentation; `CLIENT` with `spanKind: 'client'`) and, with a
 * `meter`, the HTTP client duration metrics. Put it first in `middleware`, so that its span
 * covers everything the call does: every attempt, `retry`'s backoffs and server-directed waits,
 * `rateLimit`'s holds, an existence check's lookups, a replay from the request record.
 *
 * - The span is named after the HTTP conventions: `GET`, or `GET /v1/orders/:id` when a route
 *   rule matched (its `path` is the `url.template`). Its attributes: `http.request.method`,
 *   `server.address`, `server.port`, `url.full` (redacted like surefetch's events: the
 *   credentials the request carries in its headers, query or body, and secret-looking query
 *   values; a token that only the path holds is not known as one), `http.response.status_code`
 *   of the last answer the server sent (none for a replay from the request record),
 *   `http.request.resend_count` (requests after the first), `error.type` when the call failed,
 *   and `surefetch.operation`, `surefetch.client_request_id`, `surefetch.verdict`,
 *   `surefetch.sent` (of the last attempt), `surefetch.attempts` (retry's attempts sent),
 *   `surefetch.outcome` (`success`, `recovered`, `replayed` or `error`), `surefetch.lookups` and
 *   `surefetch.recovered_via` when there were any. No header and no body is put on it.
 * - Every surefetch event of the call becomes a span event named `surefetch.<type>`
 *   (`surefetch.attempt`, `surefetch.retry`, `surefetch.wait`, ...) with `otelAttributes(event)`,
 *   whether or not `createFetch` was given an `onEvent`, which still gets every event.
 * - `error.type` is the status (`'503'`, as the conventions have it) for a call that rejects
 *   with an `HttpError` or returns an answer of 400 or more, else the code of the surefetch
 *   error it rejects with (`AMBIGUOUS_OUTCOME`, `RETRY_LATER`, ...), the name of another error,
 *   or `_OTHER`. Such a span has status `ERROR`: with no description for an answer of 400 or
 *   more (its status says it, and the server's text may hold personal data), else with the
 *   error's message, cleaned of the request's credentials. The span ends when the call settles:
 *   with the final answer's headers, before its body is read.
 * - The rest of the chain runs with the span active, so spans started below it (undici's
 *   instrumentation's, one per request sent) are its children. No trace header is added to the
 *   request: the undici instrumentation adds one per request, and one added here would be part
 *   of what `idempotency` compares between the runs of a scope.
 * - With `meter`: `http.client.request.duration` (seconds, one point per request sent,
 *   lookups included; the conventions' attributes) and `surefetch.call.duration` (seconds, one
 *   point per call; the method, server, `url.template`, status, `error.type`,
 *   `surefetch.outcome`, `surefetch.verdict` and `surefetch.sent`).
 *
 * When nothing records (no tracer provider registered, a span sampled out, no meter), the call
 * runs as it would without this layer, with no event built for it. A tracer, span or instrument
 * that throws loses its data, never the call's outcome.
 *
 * @param options - the tracer and the meter
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * const sureFetch = createFetch({ middleware: [openTelemetry({ meter: metrics.getMeter('surefetch') }), retry(), rateLimit()] });
 * ```
 */
export function openTelemetry(options: OpenTelemetryOptions = {}): Middleware {
  const tracer = options.tracer ?? trace.getTracer('surefetch');
  const kind = options.spanKind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL;
  const instruments = options.meter === undefined ? undefined : instrumentsOf(options.meter);
  return function openTelemetryLayer(ctx: CallContext, next: Next): Promise<Response> {
    let conventions;
    try {
      conventions = requestConventions(ctx.request.method, urlOf(ctx.request), ctx.route);
    } catch {
      return next(ctx);
    }
    const span = startSpan(tracer, kind, conventions.spanName, conventions.methodOriginal === undefined ? conventions.attributes : { ...conventions.attributes, 'http.request.method_original': conventions.methodOriginal });
    const recording = span !== undefined && isRecording(span);
    // A span that records nothing is ended at once; sampled out, it still goes down as the
    // parent, so that the spans below share its decision.
    if (span !== undefined && !recording) quietly(() => span.end());
    const parent = span !== undefined && (recording || hasValidContext(span)) ? span : undefined;
    if (!recording && instruments === undefined) return parent === undefined ? next(ctx) : within(parent, ctx, next);
    let telemetry: CallTelemetry;
    let derived: CallContext;
    try {
      telemetry = new CallTelemetry(ctx, recording ? span : undefined, instruments, conventions.attributes);
      derived = contextWith(ctx, { emit: telemetry.emitter(ctx.emit) });
    } catch {
      if (recording) quietly(() => span.end());
      return next(ctx);
    }
    const result = parent === undefined ? callNext(next, derived) : within(parent, derived, next);
    return result.then(
      (response) => {
        quietly(() => telemetry.finish(response, undefined));
        return response;
      },
      (error: unknown) => {
        quietly(() => telemetry.finish(undefined, error));
        return Promise.reject(error);
      },
    );
  };
}

function startSpan(tracer: Tracer, kind: SpanKind, name: string, attributes: Readonly<Record<string, string | number>>): Span | undefined {
  try {
    return tracer.startSpan(name, { kind, attributes });
  } catch {
    return undefined;
  }
}

function isRecording(span: Span): boolean {
  try {
    return span.isRecording();
  } catch {
    return false;
  }
}

function hasValidContext(span: Span): boolean {
  try {
    return isSpanContextValid(span.spanContext());
  } catch {
    return false;
  }
}

// Runs the rest of the chain once, with `span` active when the context manager lets it be.
function within(span: Span, ctx: CallContext, next: Next): Promise<Response> {
  let result: Promise<Response> | undefined;
  try {
    context.with(trace.setSpan(context.active(), span), () => {
      result = callNext(next, ctx);
    });
  } catch {
    // A context manager that failed before running the chain: it runs without the span active.
  }
  return result ?? callNext(next, ctx);
}

function callNext(next: Next, ctx: CallContext): Promise<Response> {
  try {
    // A layer below may answer with a plain Response (createFetch takes one): still a promise here.
    return Promise.resolve(next(ctx));
  } catch (error) {
    return Promise.reject(error);
  }
}

function instrumentsOf(meter: Meter): CallInstruments | undefined {
  try {
    return {
      request: meter.createHistogram('http.client.request.duration', { unit: 's', description: 'Duration of HTTP client requests.', advice: { explicitBucketBoundaries: REQUEST_BUCKETS } }),
      call: meter.createHistogram('surefetch.call.duration', {
        unit: 's',
        description: 'Duration of surefetch calls: every request, backoff and wait of a call, from its start to its final answer or error.',
        advice: { explicitBucketBoundaries: CALL_BUCKETS },
      }),
    };
  } catch {
    return undefined;
  }
}
