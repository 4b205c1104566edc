/**
 * A sliding-window throttle as Django REST Framework's `SimpleRateThrottle` implements it: the
 * times of the accepted requests of the last window are kept; a request is refused while the
 * window holds `limit` of them, and the refusal says only `Retry-After` (whole seconds, rounded
 * up, of the time until the oldest accepted request leaves the window). Refusals do not count.
 */

/** The throttle's decision for one request. */
export interface ThrottleDecision {
  /** `false` when the window is full. */
  readonly allowed: boolean;
  /** `Retry-After` on a refusal, nothing otherwise (DRF sends no budget headers). */
  readonly headers: Record<string, string>;
}

/** Admits requests against a sliding window per key. */
export interface SlidingWindowThrottle {
  /** Decides for one request of `key` at `now` (ms). */
  take(key: string, now: number): ThrottleDecision;
}

/**
 * Creates a DRF-style throttle allowing `limit` requests per `windowMs` per key.
 *
 * @example
 * ```ts
 * const throttle = createSlidingWindowThrottle({ limit: 5, windowMs: 1000 });
 * throttle.take('key', Date.now()).allowed; // true
 * ```
 */
export function createSlidingWindowThrottle(options: { readonly limit: number; readonly windowMs: number }): SlidingWindowThrottle {
  const { limit, windowMs } = options;
  const histories = new Map<string, number[]>();
  return {
    take(key: string, now: number): ThrottleDecision {
      // Newest first, as DRF keeps it; entries at or before now - window have left it.
      const history = (histories.get(key) ?? []).filter((time) => time > now - windowMs);
      histories.set(key, history);
      if (history.length < limit) {
        history.unshift(now);
        return { allowed: true, headers: {} };
      }
      const oldest = history[history.length - 1] ?? now;
      const available = limit - history.length + 1;
      const waitSeconds = (windowMs - (now - oldest)) / 1000 / available;
      return { allowed: false, headers: { 'Retry-After': String(Math.ceil(waitSeconds)) } };
    },
  };
}
