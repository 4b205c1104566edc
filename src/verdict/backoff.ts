/** Options of {@link backoffDelayMs}. */
export interface BackoffOptions {
  /** The ceiling of the first attempt's delay, in ms. */
  readonly baseMs: number;
  /** No delay exceeds this, in ms. */
  readonly maxMs: number;
  /** A source of numbers in `[0, 1)`; inject a seeded one in tests. */
  readonly random: () => number;
}

/**
 * The delay before retrying after attempt number `attempt` (1-based), with "full jitter"
 * exponential backoff as the AWS Architecture Blog describes it:
 * `random() * min(maxMs, baseMs * 2 ** (attempt - 1))`, floored to whole ms. Full jitter
 * spreads the retries of many clients over the whole window, so they do not return together.
 *
 * Never negative, NaN or infinite: an attempt below 1 (or NaN) counts as 1, a negative or NaN
 * `baseMs`/`maxMs` as 0, an infinite `maxMs` as `Number.MAX_SAFE_INTEGER`, and `random()` is
 * clamped into `[0, 1)`.
 *
 * @example
 * ```ts
 * backoffDelayMs(3, { baseMs: 100, maxMs: 10_000, random: Math.random }); // in [0, 400)
 * ```
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions): number {
  const baseMs = finiteNonNegative(options.baseMs);
  const maxMs = finiteNonNegative(options.maxMs);
  const exponent = attempt > 1 ? Math.min(Math.floor(attempt), 1024) - 1 : 0;
  const ceiling = baseMs === 0 ? 0 : Math.min(maxMs, baseMs * 2 ** exponent);
  const draw = options.random();
  const fraction = Number.isFinite(draw) ? Math.min(Math.max(draw, 0), 1 - Number.EPSILON) : 0;
  return Math.floor(fraction * ceiling);
}

function finiteNonNegative(value: number): number {
  if (Number.isNaN(value) || value <= 0) return 0;
  return Math.min(value, Number.MAX_SAFE_INTEGER);
}
