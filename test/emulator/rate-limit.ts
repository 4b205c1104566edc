/**
 * A fixed-window request budget per API key, with the `RateLimit-*` headers it implies.
 */

/** The limiter's decision for one request. */
export interface RateDecision {
  /** `false` when the window's budget is spent. */
  readonly allowed: boolean;
  /** Whole seconds (rounded up) until the window resets. */
  readonly resetSeconds: number;
  /** `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`. */
  readonly headers: Record<string, string>;
}

/** Admits requests against a fixed window per key. */
export interface FixedWindowLimiter {
  /** Counts one request of `key` at `now` (ms) unless the budget is spent. */
  take(key: string, now: number): RateDecision;
}

/**
 * Creates a limiter that allows `limit` requests per key per window; a window opens at the
 * first request after the previous one ended. Refused requests do not count.
 *
 * @example
 * ```ts
 * const limiter = createFixedWindowLimiter({ limit: 2, windowMs: 1000 });
 * limiter.take('key', 0).allowed; // true
 * ```
 */
export function createFixedWindowLimiter(options: { readonly limit: number; readonly windowMs: number }): FixedWindowLimiter {
  const windows = new Map<string, { start: number; used: number }>();
  return {
    take(key: string, now: number): RateDecision {
      let window = windows.get(key);
      if (!window || now >= window.start + options.windowMs) {
        window = { start: now, used: 0 };
        windows.set(key, window);
      }
      const allowed = window.used < options.limit;
      if (allowed) window.used += 1;
      const resetSeconds = Math.max(1, Math.ceil((window.start + options.windowMs - now) / 1000));
      return {
        allowed,
        resetSeconds,
        headers: {
          'RateLimit-Limit': String(options.limit),
          'RateLimit-Remaining': String(options.limit - window.used),
          'RateLimit-Reset': String(resetSeconds),
        },
      };
    },
  };
}
