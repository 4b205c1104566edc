import type { CallContext, Next, ResendGuard } from '../core/types.js';
import type { CallHandle, CheckRunner } from './check-runner.js';
import { SendLog } from './unanswered-send.js';

/** What a call without a scope needs of its idempotency layer. */
export interface UnscopedCallOptions {
  readonly runner: Pick<CheckRunner, 'decide' | 'holdIdentity'>;
  /** The statuses by which a gateway says it gave up waiting. */
  readonly gatewayTimeouts: ReadonlySet<number>;
  /** The context below the layer: the client request id, the key header, the check's rewrite, and `guard`. */
  readonly derive: (ctx: CallContext, clientRequestId: string, guard: ResendGuard) => CallContext;
}

/**
 * Sends a non-idempotent call that has no scope: no record to keep, but its existence check
 * still gets the chain, an identity hold and its first send time, and a send that timed out
 * unanswered still lengthens its reads. @internal
 *
 * @example
 * ```ts
 * const sendUnscoped = unscopedCall({ runner, gatewayTimeouts, derive });
 * const response = await sendUnscoped(ctx, next);
 * ```
 */
export function unscopedCall(options: UnscopedCallOptions): (ctx: CallContext, next: Next) => Promise<Response> {
  const { runner, gatewayTimeouts, derive } = options;
  return async function sendUnscoped(ctx, next) {
    const lease = await runner.holdIdentity(ctx, ctx.clientRequestId);
    const startedAt = ctx.clock.now();
    const sends = new SendLog(undefined, startedAt, gatewayTimeouts);
    const call: CallHandle = { next, lease, firstSentAt: () => startedAt, unanswered: () => sends.latestUnanswered() };
    const guard: ResendGuard = (gctx, previous) => {
      if (!sends.ended(previous.error, gctx)) sends.answered(previous.status, gctx);
      return runner.decide(gctx, previous, undefined, call);
    };
    try {
      return await next(derive(ctx, ctx.clientRequestId, guard));
    } finally {
      await lease?.release();
    }
  };
}
