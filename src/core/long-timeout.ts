/**
 * The longest delay one `setTimeout` holds (2**31 - 1 ms, about 24.8 days): Node fires a longer
 * one after 1 ms (with a `TimeoutOverflowWarning`), browsers at once, so a 30-day
 * `Retry-After` would end before it began. @internal
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A pending {@link setLongTimeout}. @internal */
export interface LongTimeout {
  /** Stops it, whichever timer of the chain is pending; after `fire` ran, does nothing. */
  clear(): void;
}

const neverFires: LongTimeout = Object.freeze({ clear: () => undefined });

/**
 * Lets the process exit while `timer` is pending (Node and Bun); browsers and Deno give a number
 * with nothing to unref, so this does nothing there. @internal
 */
export function unrefTimer(timer: unknown): void {
  (timer as { unref?: () => void } | undefined)?.unref?.();
}

/**
 * Calls `fire` after `ms` milliseconds, however long: a delay past {@link MAX_TIMER_MS} is taken
 * as a chain of timers of at most that each. `Infinity` arms no timer at all (it never fires);
 * 0, a negative delay or NaN fires on the next turn of the event loop.
 *
 * @param unref - when `true`, no timer of the chain keeps the process alive
 * @example
 * ```ts
 * const timeout = setLongTimeout(() => controller.abort(), 30 * 86_400_000, true);
 * timeout.clear();
 * ```
 * @internal
 */
export function setLongTimeout(fire: () => void, ms: number, unref: boolean): LongTimeout {
  if (ms === Number.POSITIVE_INFINITY) return neverFires;
  let left = ms > 0 ? ms : 0;
  let timer: ReturnType<typeof setTimeout>;
  const arm = (): void => {
    const step = Math.min(left, MAX_TIMER_MS);
    left -= step;
    timer = setTimeout(left > 0 ? arm : fire, step);
    if (unref) unrefTimer(timer);
  };
  arm();
  return { clear: () => clearTimeout(timer) };
}
