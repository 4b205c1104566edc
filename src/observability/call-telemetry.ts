/**
 * What one call's span and metrics learn from its events, and how the call ends on them. Every
 * call into OpenTelemetry here is guarded: a span or an instrument that throws loses its data
 * point, never the call's outcome.
 */
import { SpanStatusCode, type Histogram, type Span } from '@opentelemetry/api';
import type { EventListener, SurefetchEvent } from '../core/events.js';
import { redactText, redactUrl } from '../core/redact.js';
import { composedTextSecrets, redactEvent, requestSecrets } from '../core/request-secrets.js';
import type { CallContext, SentState, Verdict } from '../core/types.js';
import { HttpError } from '../verdict/http-error.js';
import { conventionalMethod, errorTypeOf, serverOf, statusErrorType } from './http-conventions.js';
import { otelAttributes } from './otel-attributes.js';

/** The histograms a call records into, when a meter was given. @internal */
export interface CallInstruments {
  /** `http.client.request.duration`: one point per request sent, in seconds. */
  readonly request: Histogram;
  /** `surefetch.call.duration`: one point per call, every attempt and wait in it, in seconds. */
  readonly call: Histogram;
}

type Attributes = Record<string, string | number>;

/**
 * One call as its span and metrics see it. `span` is a recording span or `undefined` (metrics
 * alone); `start` holds the conventions' request attributes, shared by the span and the metrics.
 * @internal
 */
export class CallTelemetry {
  private secrets: readonly string[] | undefined;
  private readonly startedAt: number;
  private sends = 0;
  private lookups = 0;
  private attempts = 0;
  private verdict: Verdict | undefined;
  private sent: SentState | undefined;
  private status: number | undefined;
  private recoveredVia: string | undefined;
  private clientRequestId: string;
  private lookupServer: { readonly url: string; readonly server: Attributes } | undefined;
  private ended = false;
  // The call's events repeat their text (operation, id, URL): each redacted once (see redactEvent).
  private readonly redacted = new Map<string, string>();
  private readonly ctx: CallContext;
  private readonly span: Span | undefined;
  private readonly instruments: CallInstruments | undefined;
  private readonly start: Readonly<Attributes>;

  constructor(ctx: CallContext, span: Span | undefined, instruments: CallInstruments | undefined, start: Readonly<Attributes>) {
    this.ctx = ctx;
    this.span = span;
    this.instruments = instruments;
    this.start = start;
    this.startedAt = ctx.clock.now();
    this.clientRequestId = ctx.clientRequestId;
    if (span === undefined) return;
    // Set here rather than given to startSpan: finding the request's secrets costs a parse of its
    // headers and body, paid only for a span that records.
    quietly(() =>
      span.setAttributes({
        'url.full': redactText(redactUrl(ctx.request.url), this.known()),
        'surefetch.operation': redactText(ctx.operation, this.known()),
        'surefetch.client_request_id': ctx.clientRequestId,
      }),
    );
  }

  /** An emitter that tells this call of every event, then hands it on to `next`. */
  emitter(next: EventListener): EventListener {
    return (event) => {
      quietly(() => this.hear(event));
      next(event);
    };
  }

  /** Ends the call: its span's last attributes, status and end, and its call duration. */
  finish(response: Response | undefined, error: unknown): void {
    this.ended = true;
    const failed = response === undefined;
    // What the caller got decides the error; the status attribute is the last one a server
    // sent (a recovered create's answer is made up from the lookup: 201 where the POST got 500).
    const returned = response?.status ?? (error instanceof HttpError ? error.status : undefined);
    const errorType = failed ? errorTypeOf(error) : returned !== undefined && returned >= 400 ? statusErrorType(returned) : undefined;
    const outcome = errorType !== undefined ? 'error' : this.recoveredVia === 'stored' ? 'replayed' : this.recoveredVia !== undefined ? 'recovered' : 'success';
    const facts: Attributes = { 'surefetch.outcome': outcome };
    const status = this.status ?? (this.sends === 0 && error instanceof HttpError ? error.status : undefined);
    if (status !== undefined) facts['http.response.status_code'] = status;
    if (errorType !== undefined) facts['error.type'] = errorType;
    if (this.verdict !== undefined) facts['surefetch.verdict'] = this.verdict;
    if (this.sent !== undefined) facts['surefetch.sent'] = this.sent;
    const span = this.span;
    if (span !== undefined) {
      const more: Attributes = { ...facts, 'surefetch.attempts': this.attempts, 'surefetch.client_request_id': this.clientRequestId };
      if (this.sends > 1) more['http.request.resend_count'] = this.sends - 1;
      if (this.lookups > 0) more['surefetch.lookups'] = this.lookups;
      if (this.recoveredVia !== undefined) more['surefetch.recovered_via'] = this.recoveredVia;
      quietly(() => span.setAttributes(more));
      // The conventions: no description where the status code says it; and an HttpError's
      // message quotes the server, whose text may name a person.
      const described = failed && !(error instanceof HttpError);
      if (errorType !== undefined) quietly(() => span.setStatus(described ? { code: SpanStatusCode.ERROR, message: this.messageOf(error) } : { code: SpanStatusCode.ERROR }));
      quietly(() => span.end());
    }
    const call = this.instruments?.call;
    if (call !== undefined) quietly(() => call.record((this.ctx.clock.now() - this.startedAt) / 1000, { ...this.start, ...facts }));
  }

  private hear(event: SurefetchEvent): void {
    const own = event.purpose === undefined;
    if (own) this.clientRequestId = event.clientRequestId;
    switch (event.type) {
      case 'attempt':
        if (!own) this.lookups += 1;
        else {
          this.sends += 1;
          this.attempts = Math.max(this.attempts, event.attempt);
        }
        break;
      case 'attempt-end':
        if (own) {
          this.verdict = event.verdict;
          this.sent = event.sent;
          this.status = event.status;
        }
        // Apart: an instrument that throws loses its point, not the span's event.
        quietly(() => this.measure(event, own));
        break;
      case 'recovered':
        this.recoveredVia = event.via;
        break;
      default:
        break;
    }
    const span = this.span;
    // An event after the call settled (a layer's late notice) has no span left to go on.
    if (span !== undefined && !this.ended) span.addEvent(`surefetch.${event.type}`, otelAttributes(redactEvent(event, this.known(), this.redacted)));
  }

  // One point of `http.client.request.duration` per request sent, the call's own or a lookup's.
  private measure(event: SurefetchEvent & { readonly type: 'attempt-end' }, own: boolean): void {
    const request = this.instruments?.request;
    if (request === undefined) return;
    const attributes: Attributes = own ? { ...this.start } : { ...this.serverOfLookup(event.url), 'http.request.method': conventionalMethod(event.method) };
    if (event.status !== undefined) attributes['http.response.status_code'] = event.status;
    const errorType = event.errorCode ?? (event.status !== undefined && event.status >= 400 ? statusErrorType(event.status) : undefined);
    if (errorType !== undefined) attributes['error.type'] = errorType;
    request.record(event.durationMs / 1000, attributes);
  }

  // A lookup's URL is another than the call's (a list, a get by key): its server, parsed once
  // for as long as the lookups keep to one URL.
  private serverOfLookup(url: string): Attributes {
    if (this.lookupServer?.url !== url) this.lookupServer = { url, server: serverOf(new URL(url)) };
    return this.lookupServer.server;
  }

  // The error's message, cleaned of the request's credentials: below createFetch, which scrubs
  // the error on its way to the caller, it may still carry them (a default operation name).
  private messageOf(error: unknown): string | undefined {
    return error instanceof Error ? redactText(error.message, this.known()) : undefined;
  }

  private known(): readonly string[] {
    this.secrets ??= composedTextSecrets(requestSecrets(this.ctx.request));
    return this.secrets;
  }
}

/** Runs `action`, a call into OpenTelemetry, and ignores what it throws. @internal */
export function quietly(action: () => void): void {
  try {
    action();
  } catch {
    // Telemetry that fails loses its data point; the call goes on as it would without it.
  }
}
