import { errorCodeOf } from '../errors/error-code.js';
import { eventOf } from '../core/event-of.js';
import type { CallContext } from '../core/types.js';

/** Emits the `give-up` event and returns `error` for the caller to throw. */
export function giveUp(ctx: CallContext, error: unknown): unknown {
  const errorCode = errorCodeOf(error) ?? 'UNKNOWN';
  const message = error instanceof Error ? error.message : String(error);
  ctx.emit(eventOf(ctx, { type: 'give-up', errorCode, message }));
  return error;
}
