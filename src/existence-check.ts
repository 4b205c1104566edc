import { createFetch } from './create-fetch.js';
import { ExistenceCheckError } from './existence-check-error.js';
import type { ExistenceCheck } from './idempotency.js';
import { bodyReadLimit, readJson } from './response-body.js';
import { retry } from './retry.js';
import type { CallContext, FetchFunction, ResendDecision } from './types.js';

/** What a lookup knows about the call it looks for. */
export interface OriginalCall {
  /** The create's URL. */
  readonly url: URL;
  /** The create's body, parsed as JSON (`undefined` when it is not JSON). */
  readonly body: unknown;
  /** The client request id of the call. */
  readonly clientRequestId: string;
  /** When the call was first sent (epoch ms, our clock); `undefined` when unknown. */
  readonly firstSentAt: number | undefined;
}

/** Options of {@link lookupExistence}. */
export interface LookupOptions {
  /** The first lookup URL (a list filtered by the create's identifying fields, or a get by id). */
  readonly lookupUrl: (original: OriginalCall) => URL;
  /** The candidates in a lookup answer (`[answer]` for a get by id). */
  readonly candidates: (body: unknown) => readonly unknown[];
  /** The next page's URL, or `undefined` on the last page. @default no pagination */
  readonly nextPage?: (body: unknown, current: URL, candidateCount: number) => URL | undefined;
  /** Whether a candidate is *this* call's resource (see the recipes for what to compare). */
  readonly matches: (candidate: unknown, original: OriginalCall) => boolean;
  /** The response a found resource becomes. @default the candidate as JSON, status 201 */
  readonly toResponse?: (candidate: unknown) => Response;
  /** A 404 answer means "not there" (for gets by id). @default true */
  readonly notFoundIsEmpty?: boolean;
  /**
   * Waits before each read, in ms. The original may commit after the first look and lists lag
   * behind writes, so one read that finds nothing proves nothing: by default four reads spread
   * over 1.75 s. Make the total exceed the API's list lag plus its slowest commit.
   * @default [0, 250, 500, 1000]
   */
  readonly settleDelaysMs?: readonly number[];
  /**
   * Whether a match can be taken at the first read that finds it: `true` when matching is by a
   * key unique to this call (an id it wrote into the resource, a unique order number). Otherwise
   * every settle read is made and the match must be the only one seen in all of them, because
   * an early match by fingerprint may be another, legitimate resource while this call's own is
   * not listed yet.
   * @default () => false
   */
  readonly acceptFirstMatch?: (original: OriginalCall) => boolean;
  /** Identity of a candidate across reads. @default its `id` field, else its JSON */
  readonly identify?: (candidate: unknown) => string;
  /** Most pages read per lookup. @default 20 */
  readonly maxPages?: number;
  /** The fetch lookups go through (retried on transient failures, waits honoured). @default globalThis.fetch */
  readonly fetch?: FetchFunction;
  /** Request headers copied from the create to the lookup (its credentials). @default authorization, x-api-key, api-key */
  readonly forwardHeaders?: readonly string[];
}

/**
 * Builds an existence check from a lookup: reads the API's list (following pagination) or get
 * endpoint, with bounded delayed reads, and answers `recovered` with the matching resource or
 * `resend` when nothing matched after the last read. A match by a key unique to the call ends
 * the reads at once; a match by fingerprint is accepted only if it is still the only one at the
 * last read. More than one match, an unreadable answer
 * or a failed lookup reject with an {@link ExistenceCheckError} carrying the request id: the
 * call fails closed and nothing is re-sent.
 *
 * @example
 * ```ts
 * const check = lookupExistence({
 *   lookupUrl: ({ url, body }) => new URL(`list?email=${(body as { email: string }).email}`, url),
 *   candidates: (body) => body as unknown[],
 *   matches: (candidate, { body }) => (candidate as { email: string }).email === (body as { email: string }).email,
 * });
 * ```
 */
export function lookupExistence(options: LookupOptions): ExistenceCheck {
  const {
    lookupUrl,
    candidates,
    nextPage,
    matches,
    toResponse = (candidate: unknown) => Response.json(candidate, { status: 201, headers: { 'x-surefetch-recovered': 'lookup' } }),
    notFoundIsEmpty = true,
    settleDelaysMs = [0, 250, 500, 1000],
    maxPages = 20,
    acceptFirstMatch = () => false,
    identify = defaultIdentity,
    forwardHeaders = ['authorization', 'x-api-key', 'api-key'],
  } = options;
  let lookupFetch: ReturnType<typeof createFetch> | undefined;

  return async function existenceLookup(ctx, _previous, record): Promise<ResendDecision> {
    lookupFetch ??= createFetch({
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      middleware: [retry({ maxAttempts: 3, maxWaitMs: 10_000 })],
      clock: ctx.clock,
      random: ctx.random,
      throwHttpErrors: false,
    });
    const original: OriginalCall = {
      url: new URL(ctx.request.url),
      body: parseBody(ctx.request.body),
      clientRequestId: ctx.clientRequestId,
      firstSentAt: record?.firstSentAt,
    };
    const headers = new Headers();
    for (const name of forwardHeaders) {
      const value = ctx.request.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    // Every resource that matched in any read, by identity: a fingerprint match seen early may
    // be someone else's (ours not yet listed), so it counts only if it is still alone at the end.
    const seen = new Map<string, unknown>();
    const accept = acceptFirstMatch(original);
    for (const delayMs of settleDelaysMs) {
      if (delayMs > 0) await ctx.clock.sleep(delayMs, ctx.signal);
      for (const match of await readAll(ctx, lookupFetch, headers, original)) seen.set(identify(match), match);
      if (seen.size > 1) throw failure(ctx, `${seen.size} resources match; refusing to guess which is this call's`);
      const [match] = seen.values();
      if (match !== undefined && accept) return { action: 'recovered', response: toResponse(match) };
    }
    const [match] = seen.values();
    return match === undefined ? { action: 'resend' } : { action: 'recovered', response: toResponse(match) };
  };

  async function readAll(ctx: CallContext, fetchLookup: ReturnType<typeof createFetch>, headers: Headers, original: OriginalCall): Promise<unknown[]> {
    const found: unknown[] = [];
    let url: URL | undefined = lookupUrl(original);
    for (let page = 0; url !== undefined && page < maxPages; page += 1) {
      let response: Response;
      try {
        response = await fetchLookup(url, { headers, signal: ctx.signal, surefetch: { operation: `existence check for ${ctx.operation}` } });
      } catch (error) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        throw failure(ctx, 'the lookup failed', error);
      }
      if (response.status === 404 && notFoundIsEmpty) {
        await response.body?.cancel();
        return found;
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw failure(ctx, `the lookup answered HTTP ${response.status}`);
      }
      let body: unknown;
      try {
        body = await readJson(response, bodyReadLimit(ctx));
      } catch (error) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        throw failure(ctx, 'the lookup answer could not be read as JSON', error);
      }
      const items = candidates(body);
      if (!Array.isArray(items)) throw failure(ctx, 'the lookup answer has no list of candidates');
      for (const item of items) if (matches(item, original)) found.push(item);
      url = nextPage?.(body, url, items.length);
    }
    return found;
  }
}

function defaultIdentity(candidate: unknown): string {
  const id = candidate !== null && typeof candidate === 'object' ? (candidate as { id?: unknown }).id : undefined;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : JSON.stringify(candidate);
}

function parseBody(body: Uint8Array | ReadableStream<Uint8Array> | null): unknown {
  if (!(body instanceof Uint8Array)) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(body)) as unknown;
  } catch {
    return undefined;
  }
}

function failure(ctx: CallContext, reason: string, cause?: unknown): ExistenceCheckError {
  return new ExistenceCheckError({ operation: ctx.operation, clientRequestId: ctx.clientRequestId, reason }, cause === undefined ? undefined : { cause });
}
