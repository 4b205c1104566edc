import { createSendTally } from '../core/send-tally.js';
import type { CallContext, Next, RequestSpec } from '../core/types.js';
import { contextWith } from '../core/derive-context.js';

/**
 * A lookup sender for an existence check: each lookup is a GET sent through `next` — the rest
 * of the caller's chain below the idempotency layer (retry, circuit breaker, rate limit, the
 * wrapped fetch) — so it counts against the API's budget, honours its pauses and breaker, uses
 * the caller's fetch options (an undici `dispatcher`, ...), keeps the call's signal and
 * deadline, and is marked `purpose: 'lookup'` in events. A non-2xx answer is returned, not
 * thrown.
 *
 * @example
 * ```ts
 * const lookup = lookupThrough(next, ctx);
 * const response = await lookup(new URL('/v1/orders/list?email=a%40b.c', ctx.request.url), headers);
 * ```
 */
export function lookupThrough(next: Next, ctx: CallContext): (url: URL, headers: Headers) => Promise<Response> {
  return function sendLookup(url: URL, headers: Headers): Promise<Response> {
    const request: RequestSpec = { url: url.href, method: 'GET', headers, body: null, replayable: true, options: ctx.request.options };
    const lookupCtx: CallContext = contextWith(ctx, {
      request,
      operation: `existence check for ${ctx.operation}`,
      attempt: 1,
      previous: undefined,
      idempotencyScope: undefined,
      idempotent: true,
      route: undefined,
      throwHttpErrors: false,
      resendGuard: undefined,
      purpose: 'lookup' as const,
      // A lookup is a request of its own: its sends do not use up the create's.
      sends: createSendTally(),
    });
    return next(lookupCtx);
  };
}
