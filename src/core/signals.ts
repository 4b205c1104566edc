/**
 * The signal of a call the caller gave none: one shared signal that nothing can abort (its
 * controller never leaves this module). Sharing it saves an `AbortController` per call, and
 * lets a layer skip the listener or `AbortSignal.any` it would need for a real signal: see
 * {@link anySignal} and {@link canAbort}.
 */
const unsetController = new AbortController();

/** The `signal` of every call made without one. It never aborts. @internal */
export const unsetSignal: AbortSignal = unsetController.signal;

// Many calls may wait on it at once, each with its own listener, removed when the wait ends:
// that is no leak, so Node's "possible EventTarget memory leak" warning is turned off for it.
// (Looked up at run time: elsewhere there is no such warning to turn off.)
type EventsModule = { setMaxListeners?: (n: number, ...targets: EventTarget[]) => void };
const builtin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
(builtin?.('node:events') as EventsModule | undefined)?.setMaxListeners?.(0, unsetSignal);

/**
 * Whether `signal` may ever abort: `false` for a call's {@link unsetSignal}, so a layer need not
 * listen to it. @internal
 */
export function canAbort(signal: AbortSignal | undefined): signal is AbortSignal {
  return signal !== undefined && signal !== unsetSignal;
}

/**
 * `AbortSignal.any([a, b])`, without the combined signal when one of the two can never abort
 * (the other is returned as it is). @internal
 *
 * @example
 * ```ts
 * const stop = anySignal(ctx.signal, timeout);
 * ```
 */
export function anySignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  if (!canAbort(a)) return b;
  if (!canAbort(b)) return a;
  return AbortSignal.any([a, b]);
}
