import {
  firstValid,
  latestValid,
  parseCount,
  readRateLimitField,
  resetValueDelayMs,
  sfCount,
  sfSecondsToMs,
  type RateLimitFieldEntry,
  type WaitClock,
} from './header-values.js';
import { waitClockOf } from './server-clock.js';
import { parseSfList } from './structured-fields.js';

/** What a response says about the remaining request budget. Every number is finite and ≥ 0. */
export interface RateLimitState {
  /** Requests per window, if known. */
  readonly limit?: number;
  /** Requests left in the current window. */
  readonly remaining?: number;
  /** Epoch ms at which the budget refills (or, with `Retry-After`, when to come back). */
  readonly resetAt?: number;
  /** The window length, from a `w=` parameter, if known. */
  readonly windowMs?: number;
  /**
   * Which family of fields the numbers came from: the structured `RateLimit` field
   * (`ratelimit`), the separate `RateLimit-*` fields of drafts up to -06 (`ratelimit-fields`),
   * `X-RateLimit-*` (`x-ratelimit`), or `Retry-After` alone (`retry-after`).
   */
  readonly source: 'ratelimit' | 'ratelimit-fields' | 'x-ratelimit' | 'retry-after';
}

/** Options of {@link parseRateLimitState}. */
export interface RateLimitStateOptions {
  /** The current time, epoch ms. */
  readonly now: number;
  /**
   * Added to reset times given as absolute times (epoch timestamps, dates).
   *
   * @default 1000
   */
  readonly skewMarginMs?: number;
  /** The server's clock less ours, from its `Date` headers: replaces the margin (see `createServerClock`). */
  readonly serverOffsetMs?: number;
}

interface Policy {
  readonly name?: string;
  readonly quota?: number;
  readonly windowMs?: number;
}

/**
 * Reads the remaining request budget a response reports, from the first family of fields that
 * gives anything usable: the structured `RateLimit` (+ `RateLimit-Policy`) fields of draft -07+,
 * then `RateLimit-Limit`/`-Remaining`/`-Reset` (+ an old-style `RateLimit-Policy: 100;w=60`),
 * then `X-RateLimit-*`/`X-Rate-Limit-*` (GitHub's reset is in epoch seconds), then
 * `Retry-After` alone. With several structured policies, the most constraining one is
 * reported (fewest remaining, then the latest reset). A `Retry-After` overrides `resetAt`,
 * since the RateLimit draft makes it take precedence. Fields are never mixed across families.
 *
 * @returns the state, or `undefined` when nothing usable is present; never throws
 * @example
 * ```ts
 * const state = parseRateLimitState(response.headers, { now: clock.now() });
 * if (state?.remaining === 0 && state.resetAt !== undefined) limiter.pauseUntil(state.resetAt);
 * ```
 */
export function parseRateLimitState(headers: Headers, options: RateLimitStateOptions): RateLimitState | undefined {
  // Most answers carry none of the fields: then there is nothing to read (and nothing to build).
  if (!carriesRateLimitFields(headers)) return undefined;
  const { now } = options;
  const clock: WaitClock = waitClockOf(options);
  const at = (delayMs: number | undefined): number | undefined =>
    delayMs === undefined || !Number.isFinite(now) || now < 0 ? undefined : now + delayMs;
  const resetAt = (name: string) => at(firstValid(headers.get(name), (value) => resetValueDelayMs(value, clock)));
  const latestAt = (name: string) => at(latestValid(headers.get(name), (value) => resetValueDelayMs(value, clock)));

  const state =
    structuredState(headers, at) ??
    separateState(headers, 'ratelimit-', 'ratelimit-fields', resetAt) ??
    separateState(headers, 'x-ratelimit-', 'x-ratelimit', resetAt) ??
    separateState(headers, 'x-rate-limit-', 'x-ratelimit', resetAt);
  const retryAfterAt = latestAt('retry-after');
  if (retryAfterAt === undefined) return state;
  return state === undefined ? { resetAt: retryAfterAt, source: 'retry-after' } : { ...state, resetAt: retryAfterAt };
}

// Every field parseRateLimitState reads a number from (a policy alone gives none).
const fieldsRead = new Set(['ratelimit', 'retry-after', ...['ratelimit-', 'x-ratelimit-', 'x-rate-limit-'].flatMap((prefix) => ['limit', 'remaining', 'reset'].map((name) => `${prefix}${name}`))]);

/** The fields the rate-limit parsers read a number from, lower case. @internal */
export const RATE_LIMIT_FIELD_NAMES: ReadonlySet<string> = fieldsRead;

// One pass over the names an answer has (a handful, in a list the Headers keeps sorted) costs
// an eighth of looking up each of the eleven fields by name.
/** Whether an answer has any field the rate-limit parsers read a number from. @internal */
export function carriesRateLimitFields(headers: Headers): boolean {
  for (const name of headers.keys()) if (fieldsRead.has(name)) return true;
  return false;
}

/** The budget one partition of an API reports. */
export interface PartitionState {
  /** The partition the server names (`x-ratelimit-resource`, a structured policy's name); absent: none. */
  readonly partition?: string;
  /** Its budget. */
  readonly state: RateLimitState;
}

/**
 * Reads the budget a response reports per partition: each named policy of the structured
 * `RateLimit` field (with its `RateLimit-Policy` quota and window) is one partition; otherwise
 * the state {@link parseRateLimitState} reads belongs to the partition `X-RateLimit-Resource`
 * names (GitHub's `core`, `search`, `graphql`, ...), or to none. A name longer than 64
 * characters or with control characters is ignored.
 *
 * @returns one entry per partition reported; empty when nothing usable is present
 * @example
 * ```ts
 * parsePartitionStates(new Headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-resource': 'search' }), { now: Date.now() });
 * // [{ partition: 'search', state: { remaining: 0, source: 'x-ratelimit' } }]
 * ```
 */
export function parsePartitionStates(headers: Headers, options: RateLimitStateOptions): PartitionState[] {
  if (!carriesRateLimitFields(headers)) return [];
  const { now } = options;
  const entries = readRateLimitField(headers.get('ratelimit'));
  if (entries.length > 0 && entries.every((entry) => partitionName(entry.name) !== undefined)) {
    const policies = readPolicies(headers.get('ratelimit-policy'));
    const at = (delayMs: number | undefined): number | undefined => (delayMs === undefined || !Number.isFinite(now) ? undefined : now + delayMs);
    return entries.map((entry) => {
      const policy = policies.find((candidate) => candidate.name === entry.name);
      const state = compact({ limit: entry.limit ?? policy?.quota, remaining: entry.remaining, resetAt: at(entry.resetMs), windowMs: policy?.windowMs, source: 'ratelimit' });
      return { partition: partitionName(entry.name)!, state };
    });
  }
  const state = parseRateLimitState(headers, options);
  if (state === undefined) return [];
  const resource = partitionName(headers.get('x-ratelimit-resource') ?? undefined);
  return [resource === undefined ? { state } : { partition: resource, state }];
}

function partitionName(value: string | undefined): string | undefined {
  const name = value?.trim();
  return name === undefined || name === '' || name.length > 64 || !/^[\x21-\x7e]+$/.test(name) ? undefined : name;
}

/**
 * Whether a 403 or 429 is a rate-limit refusal — a wait, not a terminal error — because it
 * reports no remaining quota (`X-RateLimit-Remaining: 0`, `RateLimit-Remaining: 0`, or a
 * structured `RateLimit` policy with `r=0`). GitHub answers an exhausted primary limit
 * with a 403 of this kind.
 *
 * @example
 * ```ts
 * isRateLimitExhausted(403, new Headers({ 'x-ratelimit-remaining': '0' })); // true
 * ```
 */
export function isRateLimitExhausted(status: number, headers: Headers): boolean {
  if (status !== 403 && status !== 429) return false;
  const zero = ['x-ratelimit-remaining', 'x-rate-limit-remaining', 'ratelimit-remaining'].some(
    (name) => firstValid(headers.get(name), parseCount) === 0,
  );
  return zero || readRateLimitField(headers.get('ratelimit')).some((entry) => entry.remaining === 0);
}

function structuredState(headers: Headers, at: (delayMs: number | undefined) => number | undefined): RateLimitState | undefined {
  const entries = readRateLimitField(headers.get('ratelimit'));
  const tightest = entries.reduce<RateLimitFieldEntry | undefined>((best, entry) => {
    if (best === undefined || entry.remaining < best.remaining) return entry;
    if (entry.remaining === best.remaining && (entry.resetMs ?? 0) > (best.resetMs ?? 0)) return entry;
    return best;
  }, undefined);
  if (tightest === undefined) return undefined;
  const policies = readPolicies(headers.get('ratelimit-policy'));
  const policy =
    policies.find((candidate) => tightest.name !== undefined && candidate.name === tightest.name) ??
    (policies.length === 1 ? policies[0] : undefined);
  return compact({
    limit: tightest.limit ?? policy?.quota,
    remaining: tightest.remaining,
    resetAt: at(tightest.resetMs),
    windowMs: policy?.windowMs,
    source: 'ratelimit',
  });
}

function separateState(
  headers: Headers,
  prefix: string,
  source: RateLimitState['source'],
  resetAt: (name: string) => number | undefined,
): RateLimitState | undefined {
  const limitValue = headers.get(`${prefix}limit`);
  const remainingValue = headers.get(`${prefix}remaining`);
  // None of the family's numbers: nothing to read (most answers carry no rate-limit field).
  if (limitValue === null && remainingValue === null && !headers.has(`${prefix}reset`)) return undefined;
  // `RateLimit-Limit: 100, 100;w=60`: the first item is the limit, later ones describe policies.
  const limitPolicies = readPolicies(limitValue);
  const limit = limitPolicies[0]?.quota ?? firstValid(limitValue, parseCount);
  const policies = [...limitPolicies, ...(prefix === 'ratelimit-' ? readPolicies(headers.get('ratelimit-policy')) : [])];
  const windowed = policies.filter((policy) => policy.windowMs !== undefined);
  const windowMs = (windowed.find((policy) => policy.quota === limit) ?? windowed[0])?.windowMs;
  const state = compact({
    limit,
    remaining: firstValid(remainingValue, parseCount),
    resetAt: resetAt(`${prefix}reset`),
    windowMs,
    source,
  });
  return state.limit === undefined && state.remaining === undefined && state.resetAt === undefined ? undefined : state;
}

function readPolicies(value: string | null): Policy[] {
  const policies: Policy[] = [];
  for (const item of parseSfList(value) ?? []) {
    if (Array.isArray(item.value)) continue;
    const quota = sfCount(item.params.get('q')) ?? sfCount(item.value);
    const windowMs = sfSecondsToMs(item.params.get('w'));
    policies.push({
      ...(typeof item.value === 'string' ? { name: item.value } : {}),
      ...(quota === undefined ? {} : { quota }),
      ...(windowMs === undefined ? {} : { windowMs }),
    });
  }
  return policies;
}

// Drops undefined members so that `'resetAt' in state` and toEqual() mean what they say.
function compact(state: { [K in keyof RateLimitState]: RateLimitState[K] | undefined }): RateLimitState {
  return Object.fromEntries(Object.entries(state).filter(([, value]) => value !== undefined)) as unknown as RateLimitState;
}
