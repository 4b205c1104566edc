import { MAX_TIMER_MS, setLongTimeout } from './long-timeout.js';

/**
 * The time source of surefetch. Every wait goes through `sleep`, so a test can inject a clock
 * that records waits instead of taking them, and every wait is abortable.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds; rejects with `signal.reason` as soon as `signal` aborts.
   * A wait of 0 or less resolves on the next tick; one of `Infinity` only ends by the abort.
   * A wait past what one timer holds (about 24.8 days) must still be taken in full.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * A signal that aborts with a `TimeoutError` `DOMException` after `ms` milliseconds, unless
   * `until` aborts first: then its timer is released and it never fires. surefetch passes
   * `until` for every per-call timer, so none outlives its call. `Infinity`: it never fires.
   */
  timeoutSignal(ms: number, until?: AbortSignal): AbortSignal;
}

export { unrefTimer } from './long-timeout.js';

/**
 * A real-time timeout signal whose timer is cleared when `until` aborts. Like
 * `AbortSignal.timeout`, it does not keep the process alive. A timeout past what one timer
 * holds (about 24.8 days) is taken in full, as a chain of timers; `Infinity` arms none.
 *
 * @example
 * ```ts
 * const done = new AbortController();
 * const timeout = realTimeoutSignal(30_000, done.signal);
 * try { await work(timeout); } finally { done.abort(); }
 * ```
 */
export function realTimeoutSignal(ms: number, until?: AbortSignal): AbortSignal {
  if (until === undefined && ms <= MAX_TIMER_MS) return AbortSignal.timeout(Math.max(0, ms));
  const controller = new AbortController();
  if (until?.aborted === true) return controller.signal;
  const release = (): void => timeout.clear();
  // No timer of the chain alone keeps the process alive.
  const timeout = setLongTimeout(() => {
    until?.removeEventListener('abort', release);
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, ms, true);
  until?.addEventListener('abort', release, { once: true });
  return controller.signal;
}

/**
 * The real clock: `Date.now()`, `setTimeout` and {@link realTimeoutSignal}. A pending sleep keeps
 * the process alive, as the awaited work it stands for would (a sleep of `Infinity` arms no
 * timer, so it does not); abort it to stop early. A sleep past what one timer holds (about 24.8
 * days) is a chain of timers, so a 30-day `Retry-After` is slept for 30 days.
 *
 * @example
 * ```ts
 * await systemClock.sleep(250, AbortSignal.timeout(1000));
 * ```
 */
export const systemClock: Clock = Object.freeze({
  now: (): number => Date.now(),
  sleep: (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        timer.clear();
        reject(signal?.reason);
      };
      const timer = setLongTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms, false);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  timeoutSignal: realTimeoutSignal,
});

/** A clock that takes no real time: each `sleep` is recorded, advances `now()` and resolves. */
export interface ManualClock extends Clock {
  /** Every sleep requested so far, in milliseconds, in order. */
  readonly sleeps: readonly number[];
  /** Moves `now()` forward without sleeping. */
  advance(ms: number): void;
}

/**
 * Creates a {@link ManualClock} for tests and simulations: sleeps resolve at once (still
 * honouring an aborted signal) and move the clock forward by the amount asked for.
 * `timeoutSignal` uses real time, so per-attempt timeouts still fire against a real server.
 *
 * @param start - the initial `now()`, in ms since the epoch. @default Date.now()
 * @example
 * ```ts
 * const clock = createManualClock();
 * await clock.sleep(2000);
 * clock.sleeps; // [2000]
 * ```
 */
export function createManualClock(start: number = Date.now()): ManualClock {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    advance(ms: number): void {
      now += ms;
    },
    async sleep(ms: number, signal?: AbortSignal): Promise<void> {
      if (signal?.aborted) throw signal.reason;
      sleeps.push(ms);
      now += Math.max(0, ms);
      await Promise.resolve();
      if (signal?.aborted) throw signal.reason;
    },
    timeoutSignal: realTimeoutSignal,
  };
}
