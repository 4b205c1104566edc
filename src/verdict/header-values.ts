import { isDayName, parseHttpDate } from './http-date.js';
import { parseSfDictionary, parseSfList, type SfItem } from './structured-fields.js';

/** The longest wait a header may ask for; anything longer is treated as garbage. */
export const ONE_YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * A numeric reset value at or above this many seconds is an epoch timestamp, not a delta
 * (2024-01-01T00:00:00Z, the threshold ky uses). Below it, a value of more than a year of
 * delta seconds is garbage, so an older epoch timestamp is ignored rather than waited for.
 */
export const EPOCH_SECONDS_THRESHOLD = 1_704_067_200;

/** A numeric reset value at or above this is an epoch timestamp in milliseconds. */
export const EPOCH_MS_THRESHOLD = 1e12;

/** The skew margin added to waits derived from absolute times. */
export const DEFAULT_SKEW_MARGIN_MS = 1000;

/** The clock and skew margin that turn a header value into a wait. */
export interface WaitClock {
  /** Epoch ms. */
  readonly now: number;
  /** Added to waits derived from absolute times, unless the server's clock was measured. */
  readonly skewMarginMs: number;
  /** The server's clock less ours, a lower bound measured from `Date` (see `server-clock.ts`). */
  readonly serverOffsetMs?: number;
}

/**
 * Splits a field value that may be several values joined by commas (as `Headers.get` joins
 * repeated fields), keeping the comma inside an IMF-fixdate or RFC 850 date.
 *
 * @example
 * ```ts
 * splitValues('Sun, 06 Nov 1994 08:49:37 GMT, 120'); // ['Sun, 06 Nov 1994 08:49:37 GMT', '120']
 * ```
 */
export function splitValues(value: string): string[] {
  const pieces = value.split(',');
  const values: string[] = [];
  for (let i = 0; i < pieces.length; i += 1) {
    const piece = pieces[i] ?? '';
    const next = pieces[i + 1];
    if (next !== undefined && isDayName(piece)) {
      values.push(`${piece.trim()},${next}`.trim());
      i += 1;
    } else if (piece.trim() !== '') {
      values.push(piece.trim());
    }
  }
  return values;
}

/**
 * Converts non-negative decimal seconds (`2`, `1.5`) to whole milliseconds, exactly for up to
 * three decimals and rounded up beyond, so a wait never ends early.
 *
 * @returns ms, or `undefined` for anything else (`-1`, `1e3`, `abc`, a value over a year)
 * @example
 * ```ts
 * secondsToMs('1.5'); // 1500
 * ```
 */
export function secondsToMs(value: string): number | undefined {
  const match = /^(\d{1,12})(?:\.(\d+))?$/.exec(value.trim());
  if (match === null) return undefined;
  const fraction = match[2] ?? '';
  const ms = Number(match[1]) * 1000 + Number(fraction.slice(0, 3).padEnd(3, '0'));
  const roundUp = /[1-9]/.test(fraction.slice(3)) ? 1 : 0;
  return ms + roundUp <= ONE_YEAR_MS ? ms + roundUp : undefined;
}

/**
 * Parses a non-negative integer no larger than `Number.MAX_SAFE_INTEGER`.
 *
 * @example
 * ```ts
 * parseCount(' 42 '); // 42
 * ```
 */
export function parseCount(value: string): number | undefined {
  const text = value.trim();
  if (!/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}

/**
 * The first value of a comma-joined field that `parse` accepts.
 *
 * @example
 * ```ts
 * firstValid('abc, 7, 9', parseCount); // 7
 * ```
 */
export function firstValid<T>(value: string | null, parse: (piece: string) => T | undefined): T | undefined {
  if (value === null) return undefined;
  for (const piece of splitValues(value)) {
    const parsed = parse(piece);
    if (parsed !== undefined) return parsed;
  }
  return undefined;
}

/**
 * The largest value of a comma-joined field that `parse` accepts: for waits, the latest
 * instant named (two `Retry-After` lines, or a proxy's and the origin's, must both be obeyed).
 *
 * @example
 * ```ts
 * latestValid('1, abc, 5', (value) => secondsToMs(value)); // 5000
 * ```
 */
export function latestValid(value: string | null, parse: (piece: string) => number | undefined): number | undefined {
  if (value === null) return undefined;
  let latest: number | undefined;
  for (const piece of splitValues(value)) {
    const parsed = parse(piece);
    if (parsed !== undefined && (latest === undefined || parsed > latest)) latest = parsed;
  }
  return latest;
}

/**
 * The wait until an absolute time: 0 when it has passed, else the distance plus the skew
 * margin (the server's clock may run ahead of ours). `undefined` past a year.
 *
 * @example
 * ```ts
 * delayUntil(10_000, { now: 4_000, skewMarginMs: 1000 }); // 7000
 * ```
 */
export function delayUntil(at: number, clock: WaitClock): number | undefined {
  if (!Number.isFinite(at)) return undefined;
  // A measured offset puts the server's instant on our clock (never early: it is a lower bound).
  const measured = clock.serverOffsetMs !== undefined && Number.isFinite(clock.serverOffsetMs);
  const local = measured ? at - (clock.serverOffsetMs ?? 0) : at;
  if (local <= clock.now) return 0;
  const delay = Math.ceil(local - clock.now) + (measured ? 0 : clock.skewMarginMs);
  return delay <= ONE_YEAR_MS ? delay : undefined;
}

/**
 * Reads one reset-like value as a wait in ms. Numbers are delta seconds (exactly
 * `seconds * 1000`, no margin) unless they are clearly epoch timestamps (seconds from
 * {@link EPOCH_SECONDS_THRESHOLD}, milliseconds from {@link EPOCH_MS_THRESHOLD}); non-numbers
 * may be an HTTP-date or RFC 3339 timestamp. Absolute times get the skew margin.
 *
 * @returns ms in `[0, ONE_YEAR_MS]`, or `undefined` for garbage
 * @example
 * ```ts
 * resetValueDelayMs('2', { now: Date.now(), skewMarginMs: 1000 }); // 2000
 * ```
 */
export function resetValueDelayMs(value: string, clock: WaitClock): number | undefined {
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) {
    const number = Number(text);
    if (number >= EPOCH_MS_THRESHOLD) return delayUntil(Math.ceil(number), clock);
    if (number >= EPOCH_SECONDS_THRESHOLD) return delayUntil(Math.ceil(number * 1000), clock);
    return secondsToMs(text);
  }
  const at = parseHttpDate(text, clock.now);
  return at === undefined ? undefined : delayUntil(at, clock);
}

/**
 * Sanitizes a caller's skew margin: non-negative and finite, else the default.
 *
 * @example
 * ```ts
 * skewMargin(undefined); // 1000
 * ```
 */
export function skewMargin(value: number | undefined): number {
  if (value === undefined || !Number.isFinite(value)) return DEFAULT_SKEW_MARGIN_MS;
  return Math.max(0, Math.ceil(value));
}

/** One policy's state as the structured `RateLimit` field reports it. */
export interface RateLimitFieldEntry {
  /** The policy name (`"default"`), when the list form names it. */
  readonly name?: string;
  /** Quota units left (`r=`, or `remaining=` in the draft -07 dictionary form). */
  readonly remaining: number;
  /** Delta until more quota is available (`t=` / `reset=`), in ms. */
  readonly resetMs?: number;
  /** The quota (`limit=`, draft -07 dictionary form only). */
  readonly limit?: number;
}

/**
 * Reads the structured `RateLimit` field in both of its published forms: the list of named
 * policies of draft -08+ (`"default";r=0;t=30`) and the dictionary of draft -07
 * (`limit=100, remaining=0, reset=30`, as express-rate-limit's `draft-7` mode sends).
 * Entries without a valid remaining count are dropped, and a malformed field yields none.
 *
 * @example
 * ```ts
 * readRateLimitField('"burst";r=0;t=5'); // [{ name: 'burst', remaining: 0, resetMs: 5000 }]
 * ```
 */
export function readRateLimitField(value: string | null): RateLimitFieldEntry[] {
  const entries: RateLimitFieldEntry[] = [];
  for (const item of parseSfList(value) ?? []) {
    const remaining = sfCount(item.params.get('r'));
    if (Array.isArray(item.value) || remaining === undefined) continue;
    const resetMs = sfSecondsToMs(item.params.get('t'));
    entries.push({
      remaining,
      ...(typeof item.value === 'string' ? { name: item.value } : {}),
      ...(resetMs === undefined ? {} : { resetMs }),
    });
  }
  if (entries.length > 0) return entries;
  const dictionary = parseSfDictionary(value);
  const remaining = sfCount(dictionary?.get('remaining')?.value);
  if (dictionary === undefined || remaining === undefined) return [];
  const resetMs = sfSecondsToMs(dictionary.get('reset')?.value);
  const limit = sfCount(dictionary.get('limit')?.value);
  return [{ remaining, ...(resetMs === undefined ? {} : { resetMs }), ...(limit === undefined ? {} : { limit }) }];
}

/**
 * A Structured Field value as a non-negative integer.
 *
 * @example
 * ```ts
 * sfCount(3); // 3
 * ```
 */
export function sfCount(value: SfItem['value'] | undefined): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/**
 * A Structured Field value of non-negative delta seconds as ms (at most a year).
 *
 * @example
 * ```ts
 * sfSecondsToMs(30); // 30000
 * ```
 */
export function sfSecondsToMs(value: SfItem['value'] | undefined): number | undefined {
  return typeof value === 'number' && value >= 0 ? secondsToMs(String(value)) : undefined;
}
