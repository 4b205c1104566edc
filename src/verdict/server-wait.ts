import {
  firstValid,
  latestValid,
  parseCount,
  readRateLimitField,
  resetValueDelayMs,
  type WaitClock,
} from './header-values.js';
import { waitClockOf } from './server-clock.js';

/** Which response header a server-directed wait was read from. */
export type WaitSource =
  | 'retry-after'
  | 'ratelimit'
  | 'ratelimit-reset'
  | 'x-ratelimit-retry-after'
  | 'x-ratelimit-reset';

/** A wait the server asked for: how long, until when, and which header said so. */
export interface ServerWait {
  /** Whole milliseconds to wait, in `[0, one year]`. */
  readonly delayMs: number;
  /** Epoch ms at which the request may be sent again: `now + delayMs`. */
  readonly retryAt: number;
  /** The header the wait was read from. */
  readonly source: WaitSource;
}

/** Options of {@link parseServerWait}. */
export interface ServerWaitOptions {
  /** The current time, epoch ms (pass `clock.now()`; this module never reads a clock). */
  readonly now: number;
  /**
   * Added to waits derived from absolute times (an HTTP-date, an epoch timestamp), because
   * the server's clock may run ahead of ours. Delta-seconds waits are used exactly.
   *
   * @default 1000
   */
  readonly skewMarginMs?: number;
  /**
   * The server's clock less ours, measured from its `Date` headers (see `createServerClock`):
   * absolute times are then placed on our clock with it, without the margin.
   */
  readonly serverOffsetMs?: number;
}

const REMAINING_OF = {
  'ratelimit-reset': ['ratelimit-remaining'],
  'x-ratelimit-reset': ['x-ratelimit-remaining', 'x-rate-limit-remaining'],
} as const;

/**
 * Reads the wait a response asks for, trying in order:
 *
 * 1. `Retry-After` — delay-seconds (decimals tolerated) or an HTTP-date; it takes precedence
 *    over every rate-limit field, as the RateLimit draft requires. Of several values (repeated
 *    field lines arrive comma-joined) the latest instant wins; unparseable ones are skipped.
 * 2. The structured `RateLimit` field: the largest `t` among the policies with `r=0` (the
 *    request may go once every exhausted policy has refilled; a policy with quota left does
 *    not delay it, so with none exhausted this field gives no wait). The draft -07 dictionary
 *    form `remaining=0, reset=N` is read the same way.
 * 3. `RateLimit-Reset` (delta seconds, or an epoch timestamp from 2024 on).
 * 4. `X-RateLimit-Retry-After` (Symfony: an epoch timestamp or seconds).
 * 5. `X-RateLimit-Reset` / `X-Rate-Limit-Reset` (epoch seconds, epoch ms, delta seconds, or a date).
 *
 * A reset field is skipped when its own remaining field says quota is left: it then describes
 * the budget's next refill, not this refusal. A garbage or over-a-year value falls through to
 * the next field. Whether the response is a wait at all (429, 503, an exhausted 403) is the
 * caller's decision. Never throws; returns `undefined` when no field gives a usable wait, or
 * when `now` is not finite.
 *
 * @example
 * ```ts
 * const wait = parseServerWait(response.headers, { now: clock.now() });
 * if (wait) await clock.sleep(wait.delayMs, signal); // RateLimit-Reset: 2 → 2000 ms
 * ```
 */
export function parseServerWait(headers: Headers, options: ServerWaitOptions): ServerWait | undefined {
  const { now } = options;
  if (!Number.isFinite(now)) return undefined;
  const clock: WaitClock = waitClockOf(options);
  const read = (source: WaitSource, delayMs: number | undefined): ServerWait | undefined =>
    delayMs === undefined ? undefined : { delayMs, retryAt: now + delayMs, source };
  const fromValue = (name: string) => latestValid(headers.get(name), (value) => resetValueDelayMs(value, clock));

  return (
    read('retry-after', fromValue('retry-after')) ??
    read('ratelimit', exhaustedPolicyDelayMs(headers.get('ratelimit'))) ??
    read('ratelimit-reset', budgetIsLeft(headers, 'ratelimit-reset') ? undefined : fromValue('ratelimit-reset')) ??
    read('x-ratelimit-retry-after', fromValue('x-ratelimit-retry-after')) ??
    read(
      'x-ratelimit-reset',
      budgetIsLeft(headers, 'x-ratelimit-reset')
        ? undefined
        : (fromValue('x-ratelimit-reset') ?? fromValue('x-rate-limit-reset')),
    )
  );
}

function exhaustedPolicyDelayMs(value: string | null): number | undefined {
  let delayMs: number | undefined;
  for (const entry of readRateLimitField(value)) {
    if (entry.remaining === 0 && entry.resetMs !== undefined) delayMs = Math.max(delayMs ?? 0, entry.resetMs);
  }
  return delayMs;
}

function budgetIsLeft(headers: Headers, reset: keyof typeof REMAINING_OF): boolean {
  return REMAINING_OF[reset].some((name) => (firstValid(headers.get(name), parseCount) ?? 0) > 0);
}
