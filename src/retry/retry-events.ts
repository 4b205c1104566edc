import { SurefetchError } from '../errors/errors.js';
import { eventBase } from '../core/events.js';
import type { CallContext } from '../core/types.js';

/** Emits the `give-up` event and returns `error` for the caller to throw. */
export function giveUp(ctx: CallContext, error: unknown): unknown {
  const errorCode = error instanceof SurefetchError ? error.code : error instanceof Error ? error.name : 'UNKNOWN';
  const message = error instanceof Error ? error.message : String(error);
  ctx.emit({ ...eventBase(ctx), type: 'give-up', errorCode, message });
  return error;
}
