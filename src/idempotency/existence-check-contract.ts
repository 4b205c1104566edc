import type { RequestRecord, UnansweredSend } from '../store/record.js';
import type { AttemptOutcome, CallContext, RequestSpec, ResendDecision } from '../core/types.js';

/**
 * What the idempotency layer hands an existence check besides the call's context.
 */
export interface ExistenceCheckTools {
  /**
   * Sends one lookup (a GET of `url` with `headers`) through the rest of the caller's chain:
   * the same retry, circuit breaker, rate limit and fetch as the create, so lookups count
   * against the API's budget and honour its pauses. Resolves with whatever the API answered
   * (a non-2xx answer is returned, not thrown); rejects when no answer could be had.
   */
  readonly lookup: (url: URL, headers: Headers) => Promise<Response>;
  /**
   * `true` when this call has held its identity (see {@link ExistenceCheck.identity})
   * exclusively in the request store from before its first send until now, and no other call
   * with the same identity ended recently: no other call going through this store can have
   * created a resource with the same identifying keys inside this call's window.
   */
  readonly exclusive: boolean;
  /** When the call was first sent (epoch ms, the call's clock), when known. */
  readonly firstSentAt: number | undefined;
  /**
   * The latest send of this call, or of an earlier run of its scope, that got no answer within
   * its attempt's timeout: the API may still act on it after any read made before then (see
   * `LookupOptions.requestLifetimeMs`); for a scope taken over from a worker that died with a send
   * out, that send, dated from the takeover. `undefined` when every send so far was answered.
   */
  readonly unanswered: UnansweredSend | undefined;
  /**
   * Claims a found resource (by its id) as this call's result in the request store: `true`
   * when it is this call's (now or already), `false` when another call took it. A match by
   * fingerprint must be claimed before it is returned, so that two identical creates never
   * both take the same resource. Rejects when the store cannot say.
   */
  readonly claim: (resourceId: string) => Promise<boolean>;
  /** Whether another call already claimed a found resource (reads only). Rejects when the store cannot say. */
  readonly takenByOther: (resourceId: string) => Promise<boolean>;
}

/**
 * Decides whether an earlier attempt landed, before a non-idempotent request is sent again:
 * `recovered` with the existing resource as the response, or `resend`. It must fail closed
 * (throw) when it cannot decide. `record` is the scope's request record, `undefined` for a
 * call without a scope. Build one with `lookupExistence` or a recipe.
 *
 * @example
 * ```ts
 * const check: ExistenceCheck = async (ctx, _previous, _record, { lookup }) => {
 *   const response = await lookup(new URL('/v1/orders/by-ref/' + ctx.clientRequestId, ctx.request.url), new Headers());
 *   if (response.status === 404) return { action: 'resend', absent: true };
 *   if (!response.ok) throw new Error(`lookup answered ${response.status}`);
 *   return { action: 'recovered', response };
 * };
 * ```
 */
export interface ExistenceCheck {
  (ctx: CallContext, previous: AttemptOutcome, record: RequestRecord | undefined, tools: ExistenceCheckTools): Promise<ResendDecision>;
  /**
   * Rewrites the create before its first send, e.g. writes the client request id into a
   * reference field the API lists, so that the check can find it by that id. Applied after
   * the scope's fingerprint is taken, with the scope's stable client request id.
   */
  readonly prepare?: (request: RequestSpec, clientRequestId: string) => RequestSpec;
  /**
   * The id of the resource a successful create answered with (from its JSON body), so that
   * the idempotency layer claims it for the call (see {@link ExistenceCheckTools.claim}) and
   * no other call's check takes it for its own.
   */
  readonly resourceOf?: (body: unknown, request: RequestSpec) => string | undefined;
  /**
   * The create's identifying keys (for orders: API, campaign and recipient) and how long after
   * a call ends its resource may still turn up in another call's window (the check's clock
   * skew allowance). The idempotency layer holds the keys in the store for the life of the
   * call; a call that held them alone may accept a match by fingerprint at the first read.
   */
  readonly identity?: {
    /** The keys as one string, or `undefined` when the create has none. */
    readonly of: (request: RequestSpec) => string | undefined;
    /** How long the keys stay held after the call ends, in ms. */
    readonly holdMs: number;
  };
}
