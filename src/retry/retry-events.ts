import type { Classification } from '../verdict/classify.js';
import { SurefetchError } from '../errors/errors.js';
import { eventBase } from '../core/events.js';
import type { CallContext } from '../core/types.js';

/** Emits the `attempt-end` event of one attempt. */
export function emitEnd(ctx: CallContext, classification: Classification, started: number, status: number | undefined, error: unknown): void {
  const errorCode = error instanceof SurefetchError ? error.code : error instanceof Error ? error.name : undefined;
  ctx.emit({
    ...eventBase(ctx),
    type: 'attempt-end',
    verdict: classification.verdict,
    sent: classification.sent,
    durationMs: ctx.clock.now() - started,
    ...(status === undefined ? {} : { status }),
    ...(errorCode === undefined ? {} : { errorCode }),
  });
}

/** Emits the `give-up` event and returns `error` for the caller to throw. */
export function giveUp(ctx: CallContext, error: unknown): unknown {
  const errorCode = error instanceof SurefetchError ? error.code : error instanceof Error ? error.name : 'UNKNOWN';
  const message = error instanceof Error ? error.message : String(error);
  ctx.emit({ ...eventBase(ctx), type: 'give-up', errorCode, message });
  return error;
}
