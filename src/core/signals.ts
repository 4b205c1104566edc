/**
 * The signal of a call the caller gave none: one shared signal that nothing can abort (its
 * controller never leaves this module). Sharing it saves an `AbortController` per call, and
 * lets a layer skip the listener or `AbortSignal.any` it would need for a real signal: see
 * {@link anySignal} and {@link canAbort}.
 */
const unsetController = new AbortController();

/** The `signal` of every call made without one. It never aborts. @internal */
export const unsetSignal: AbortSignal = unsetController.signal;

// Nothing can abort it, so a listener on it would never run: dropping abort listeners keeps
// its behaviour and means no layer — ours or a user's middleware that never removes its
// listener — can pile them up on this one long-lived signal.
const addListener = unsetSignal.addEventListener.bind(unsetSignal);
Object.defineProperties(unsetSignal, {
  addEventListener: {
    value(...args: Parameters<AbortSignal['addEventListener']>): void {
      if (args[0] !== 'abort') addListener(...args);
    },
  },
  onabort: { get: () => null, set: () => undefined },
});

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
