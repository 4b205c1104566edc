import { InvalidRequestError } from '../errors/invalid-request-error.js';
import type { CallContext } from '../core/types.js';

// Half of a UTF-16 surrogate pair, standing alone (a string cut inside an emoji, say).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Refuses, before anything is claimed or sent, a call whose identity a store or the API could
 * not keep apart from another's or could not carry at all:
 * - a scope that is not well-formed Unicode: stores that key records by its UTF-8 bytes (Redis,
 *   PostgreSQL) read each lone surrogate as U+FFFD, so `'Café 😀'.slice(0, 6)` and
 *   `'Café 🌍'.slice(0, 6)` would be one record, and one call would be answered with the other's;
 * - a client request id that cannot be sent as the value of `keyHeader` (a non-Latin-1
 *   character, a line break): its send would fail after the scope was claimed.
 * Throws an `InvalidRequestError`; nothing was sent. @internal
 *
 * @example
 * ```ts
 * refuseUnusableIdentity(ctx, 'Idempotency-Key');
 * ```
 */
export function refuseUnusableIdentity(ctx: CallContext, keyHeader: string | undefined): void {
  const scope = ctx.idempotencyScope;
  if (scope !== undefined && LONE_SURROGATE.test(scope)) {
    throw new InvalidRequestError(
      `${ctx.operation}: the idempotencyScope holds half of a surrogate pair (a string cut inside an emoji?), which a store would confuse with another scope; nothing was sent`,
    );
  }
  // A key the caller set is sent as it is; the id is then not sent at all.
  if (keyHeader === undefined || ctx.request.headers.has(keyHeader)) return;
  try {
    new Headers([[keyHeader, ctx.clientRequestId]]);
  } catch {
    throw new InvalidRequestError(
      `${ctx.operation}: the clientRequestId cannot be sent as the ${keyHeader} header (a character beyond Latin-1, or a line break); nothing was sent`,
    );
  }
}
