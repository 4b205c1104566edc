import { ExistenceCheckError, type NearMatch } from '../errors/existence-check-error.js';
import type { CallContext, ResendDecision } from '../core/types.js';
import { candidateId, judgeCandidate, nearMatchReason, sentJson, type CandidateRules, type OriginalCall } from './candidate.js';
import { holdRefusal, readsCovering } from './unanswered-send.js';
import { compareSent, type CompareOptions, type Comparison } from './compare.js';
import type { ExistenceCheck, ExistenceCheckTools } from './existence-check-contract.js';
import { readAllPages, UnreadableLookup, type LookupRead, type PageReader } from './lookup-pages.js';
import type { Paging } from './paging.js';

export type { OriginalCall } from './candidate.js';

// No API holds a request unread for longer; a wait for one is a wait that never ends.
const MAX_LIFETIME_MS = 86_400_000;

/** Options of {@link lookupExistence}. */
export interface LookupOptions {
  /** The first lookup URL (a list filtered by the create's identifying fields, or a get by key). */
  readonly lookupUrl: (original: OriginalCall) => URL;
  /**
   * The candidates in one answer (`[answer]` for a get by key), or `undefined` when the answer
   * is not of the shape this API gives (an envelope where a list was expected, an error body
   * sent with 200): the check then fails closed. Never answer `[]` for a shape you do not know.
   */
  readonly candidates: (body: unknown) => readonly unknown[] | undefined;
  /** How the next page is found ({@link pageNumberPaging}, {@link linkPaging}, {@link bodyPaging}). @default a single page */
  readonly paging?: Paging;
  /** Fields (dotted paths) every candidate must have; a candidate without one fails the check closed. @default [] */
  readonly requiredFields?: readonly string[];
  /**
   * Whether a candidate has the create's identifying keys (what the lookup filters on: for an
   * order, its campaign and recipient). A candidate that has them, was created in the call's
   * window, and differs in another sent field is a *near match*: never a reason to re-send.
   * @default () => true
   */
  readonly identifies?: (candidate: unknown, original: OriginalCall) => boolean;
  /**
   * Compares a candidate with what the create sent.
   * @default compareSent(original.body, candidate, compareOptions): only sent fields, tolerant of normalization
   */
  readonly compare?: (candidate: unknown, original: OriginalCall) => Comparison;
  /** Per-field comparators and ignored paths for the default `compare`. @default {} */
  readonly compareOptions?: CompareOptions;
  /**
   * When a candidate was created (epoch ms), for the call's window; `undefined` for unreadable
   * (such a candidate fails the check closed). Without this option every candidate counts as
   * created inside the window.
   */
  readonly createdAt?: (candidate: unknown) => number | undefined;
  /** How far before our first send a candidate may have been created and still be ours. @default 30000 */
  readonly clockSkewMs?: number;
  /**
   * A value this call wrote into the resource (see `ExistenceCheck.prepare`) and where a
   * candidate carries it: a candidate with this call's reference is its resource at once.
   */
  readonly reference?: {
    /** The reference this call wrote (e.g. its body's `externalRef`), `undefined` when it wrote none. */
    readonly of: (original: OriginalCall) => string | undefined;
    /** The reference a candidate carries. */
    readonly in: (candidate: unknown) => unknown;
  };
  /** Replaces `identifies`, `compare` and the window with one yes/no test (kept for simple checks). */
  readonly matches?: (candidate: unknown, original: OriginalCall) => boolean;
  /** The response a found resource becomes. @default the candidate as JSON, status 201 */
  readonly toResponse?: (candidate: unknown) => Response;
  /** A 404 to the first read means "not there" (gets by key); otherwise a 404 fails closed. @default false */
  readonly notFoundIsEmpty?: boolean;
  /**
   * Waits before each read, in ms. The original may commit after the first look and lists lag
   * behind writes, so one read that finds nothing proves nothing: by default four reads spread
   * over 1.75 s. Make the total exceed the API's list lag plus its slowest commit.
   * @default [0, 250, 500, 1000]
   */
  readonly settleDelaysMs?: readonly number[];
  /**
   * How long after its send the API may still act on a create it did not answer: one that timed
   * out may wait, unread, behind a busy worker or a load balancer's queue and land after every
   * read made before then. After such a send (`ExistenceCheckTools.unanswered`) absence is proven
   * only by a read made this long after it: when the settle reads end sooner, one more is made
   * then (a match that can only be this call's still ends the reads at once). A send whose
   * caller left (aborted) or whose worker died before it heard back counts from then. Set it
   * to the API's or its gateway's request
   * timeout when you know it; 0 where the API refuses a duplicate itself (`warehouseOrders`).
   * @default twice the timeout the send waited: as long again after it timed out
   */
  readonly requestLifetimeMs?: number;
  /** A match by a key unique to the call (an order number the API enforces) is final at the first read. @default () => false */
  readonly acceptFirstMatch?: (original: OriginalCall) => boolean;
  /** Identity of a candidate across reads and pages. @default its `id` field, else a hash of its JSON (an item may echo a secret the create sent) */
  readonly identify?: (candidate: unknown) => string;
  /** Most pages read per lookup; a longer list fails closed. @default 20 */
  readonly maxPages?: number;
  /** Request headers copied from the create to the lookup (its credentials). @default authorization, x-api-key, api-key */
  readonly forwardHeaders?: readonly string[];
}

/**
 * Builds an existence check from a lookup: reads the API's list (following its paging) or get
 * endpoint through the caller's own chain, with bounded delayed reads, and answers `recovered`
 * with this call's resource or `resend` — the latter only on positive evidence of absence: every
 * read complete and well-formed, and no match nor near match in any of them.
 *
 * A candidate is this call's when it carries the call's `reference`, or has its identifying
 * keys, was created inside its window and equals what it sent (tolerantly: see `compareSent`).
 * Such a match ends the reads at once when it cannot be anyone else's (a reference, a unique
 * key, or a call that held its identity exclusively in the store); otherwise it must still be
 * the only one at the last read. A match by fields is claimed in the request store before it
 * is returned: one that another call already took (as its answer or its recovery) is not this
 * call's, so two identical creates are never both given the same resource. Two matches, a near match, an unreadable answer or a failed
 * lookup reject with an {@link ExistenceCheckError} carrying the request id: nothing is re-sent.
 *
 * @example
 * ```ts
 * const check = lookupExistence({
 *   lookupUrl: ({ url, body }) => new URL(`list?email=${(body as { email: string }).email}`, url),
 *   candidates: (body) => (Array.isArray(body) ? body : undefined),
 *   paging: pageNumberPaging({ pageSize: 100 }),
 *   identifies: (found, { body }) => comparators.email((body as { email: string }).email, (found as { email: string }).email),
 *   createdAt: (found) => Date.parse((found as { createdAt: string }).createdAt),
 * });
 * ```
 */
export function lookupExistence(options: LookupOptions): ExistenceCheck {
  const {
    lookupUrl,
    toResponse = (candidate: unknown) => Response.json(candidate, { status: 201, headers: { 'x-surefetch-recovered': 'lookup' } }),
    settleDelaysMs = [0, 250, 500, 1000],
    acceptFirstMatch = () => false,
    identify = candidateId,
    forwardHeaders = ['authorization', 'x-api-key', 'api-key'],
  } = options;
  const { requestLifetimeMs } = options;
  if (requestLifetimeMs !== undefined && !(requestLifetimeMs >= 0 && requestLifetimeMs <= MAX_LIFETIME_MS)) {
    throw new TypeError(`lookupExistence: requestLifetimeMs must be a number of ms from 0 to ${String(MAX_LIFETIME_MS)} (a day), got ${String(requestLifetimeMs)}`);
  }
  const compareOptions = options.compareOptions ?? {};
  const rules: CandidateRules = {
    requiredFields: options.requiredFields ?? [],
    reference: options.reference,
    matches: options.matches,
    identifies: options.identifies ?? (() => true),
    compare: options.compare ?? ((candidate, original) => compareSent(original.body, candidate, compareOptions)),
    createdAt: options.createdAt,
    clockSkewMs: options.clockSkewMs ?? 30_000,
  };
  const reader: PageReader = {
    candidates: options.candidates,
    paging: options.paging,
    notFoundIsEmpty: options.notFoundIsEmpty ?? false,
    maxPages: options.maxPages ?? 20,
    identify,
  };

  return async function existenceLookup(ctx, _previous, record, tools): Promise<ResendDecision> {
    const original: OriginalCall = {
      url: new URL(ctx.request.url),
      body: sentJson(ctx.request.body),
      clientRequestId: ctx.clientRequestId,
      firstSentAt: record?.firstSentAt ?? tools.firstSentAt,
    };
    const headers = new Headers();
    for (const name of forwardHeaders) {
      const value = ctx.request.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    // Exclusivity rules out other calls of this store only inside the window, so it needs one.
    const final = acceptFirstMatch(original) || (tools.exclusive && rules.createdAt !== undefined);
    // Every match and near match of any read, by identity: a fingerprint match seen early may be
    // someone else's (ours not yet listed), so it counts only if it is still alone at the end.
    const seen = new Map<string, unknown>();
    const near = new Map<string, readonly string[]>();
    // Matches another call of this store already took as its own: never this call's.
    const taken = new Set<string>();
    const storeSays = <T>(question: Promise<T>): Promise<T> =>
      question.catch((error: unknown) => {
        throw failure(ctx, 'the request store cannot say whose the match is', error);
      });
    const claimed = async (match: unknown): Promise<boolean> => {
      const key = identify(match);
      if (await storeSays(tools.claim(key))) return true;
      taken.add(key);
      seen.delete(key);
      return false;
    };
    const delays = readsCovering(settleDelaysMs, ctx.clock.now(), tools.unanswered, requestLifetimeMs);
    for (const [index, delayMs] of delays.entries()) {
      const refusal = index < settleDelaysMs.length ? undefined : holdRefusal(ctx, delayMs);
      // Without a scope nothing remembers the send: a re-run would not wait for it.
      if (refusal !== undefined) throw record === undefined ? failure(ctx, `a create sent without an answer may still land for ${String(Math.ceil(delayMs))} ms, which ${refusal.reason}`) : refusal;
      if (ctx.deadline !== undefined && ctx.clock.now() + delayMs > ctx.deadline) throw failure(ctx, 'the call deadline leaves no time for the next settle read');
      if (delayMs > 0) await ctx.clock.sleep(delayMs, ctx.signal);
      const found = await readOnce(ctx, tools, headers, original);
      if (found.mine !== undefined) return recovered(found.mine);
      for (const [key, match] of found.matches) {
        if (taken.has(key) || seen.has(key)) continue;
        if (await storeSays(tools.takenByOther(key))) taken.add(key);
        else seen.set(key, match);
      }
      for (const [key, differences] of found.near) near.set(key, differences);
      if (seen.size > 1) throw failure(ctx, `${seen.size} resources match; refusing to guess which is this call's`);
      const [match] = seen.values();
      if (match !== undefined && near.size === 0 && final && (await claimed(match))) return recovered(match);
    }
    if (near.size > 0) throw failure(ctx, nearMatchReason(near, seen.size), undefined, [...near].map(([id, differences]) => ({ id, differences })));
    const [match] = seen.values();
    if (match !== undefined && (await claimed(match))) return recovered(match);
    return { action: 'resend', absent: true };
  };

  function recovered(candidate: unknown): ResendDecision {
    return { action: 'recovered', response: toResponse(candidate) };
  }

  async function readOnce(ctx: CallContext, tools: ExistenceCheckTools, headers: Headers, original: OriginalCall) {
    let read: LookupRead;
    try {
      read = await readAllPages(ctx, lookupUrl(original), (url) => tools.lookup(url, headers), reader);
    } catch (error) {
      if (error instanceof UnreadableLookup) throw failure(ctx, error.message, error.cause);
      throw error;
    }
    const matches = new Map<string, unknown>();
    const nearMatches = new Map<string, readonly string[]>();
    for (const candidate of read.candidates) {
      let verdict;
      try {
        verdict = judgeCandidate(candidate, original, rules, ctx.clock.now(), read.serverBehindMs);
      } catch (error) {
        throw failure(ctx, error instanceof Error ? error.message : String(error));
      }
      if (verdict.kind === 'mine') return { mine: candidate, matches, near: nearMatches };
      if (verdict.kind === 'match') matches.set(identify(candidate), candidate);
      if (verdict.kind === 'near') nearMatches.set(identify(candidate), verdict.differences);
    }
    return { mine: undefined, matches, near: nearMatches };
  }
}

function failure(ctx: CallContext, reason: string, cause?: unknown, nearMatches?: NearMatch[]): ExistenceCheckError {
  const init = { operation: ctx.operation, clientRequestId: ctx.clientRequestId, reason, ...(nearMatches === undefined ? {} : { nearMatches }) };
  return new ExistenceCheckError(init, cause === undefined ? undefined : { cause });
}
