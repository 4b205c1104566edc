import type { SendTally } from '../core/send-tally.js';
import type { CallContext, ResendGuard } from '../core/types.js';
import type { ExistenceCheck } from './existence-check-contract.js';

/** The context the idempotency layer hands down for one call (see {@link deriveCall}). */
export type DeriveCall = (ctx: CallContext, clientRequestId: string, guard: ResendGuard | undefined, sends?: SendTally) => CallContext;

/**
 * Makes the idempotency layer's down-stream context: the record's client request id, the key
 * header, the existence check's rewrite of the request, and the resend guard (written only
 * where something can decide a re-send: a key header or a check). @internal
 *
 * @example
 * ```ts
 * const derive = deriveCall({ keyHeader: 'Idempotency-Key', existenceCheck: undefined });
 * const down = derive(ctx, record.clientRequestId, guard);
 * ```
 */
export function deriveCall(options: { readonly keyHeader: string | undefined; readonly existenceCheck: ExistenceCheck | undefined }): DeriveCall {
  const { keyHeader, existenceCheck } = options;
  const canDecide = keyHeader !== undefined || existenceCheck !== undefined;
  return (ctx, clientRequestId, guard, sends = ctx.sends) => {
    let request = existenceCheck?.prepare?.(ctx.request, clientRequestId) ?? ctx.request;
    if (keyHeader !== undefined && !request.headers.has(keyHeader)) {
      const headers = new Headers(request.headers);
      headers.set(keyHeader, clientRequestId);
      request = { ...request, headers };
    }
    return Object.freeze({ ...ctx, request, clientRequestId, resendGuard: canDecide ? guard : ctx.resendGuard, sends });
  };
}
