import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ONE_YEAR_MS } from '../src/verdict/header-values.js';
import { parseServerWait, type WaitSource } from '../src/verdict/server-wait.js';
import { headerValue, WAIT_HEADERS } from './support/header-arbitraries.js';

const now = Date.UTC(2026, 10, 25, 12, 0, 0);
const nowSeconds = now / 1000;
const wait = (headers: Record<string, string>, skewMarginMs?: number) =>
  parseServerWait(new Headers(headers), skewMarginMs === undefined ? { now } : { now, skewMarginMs });

describe('parseServerWait: Retry-After', () => {
  const cases: Array<[string, string, number | undefined]> = [
    ['delay-seconds', '120', 120_000],
    ['zero seconds', '0', 0],
    ['a decimal', '1.5', 1500],
    ['a decimal finer than a millisecond, rounded up', '0.0001', 1],
    ['surrounding whitespace', '  3  ', 3000],
    ['the latest of comma-joined values (repeated field lines)', '3, 7', 7000],
    ['the first valid of comma-joined values', 'abc, 7', 7000],
    ['IMF-fixdate 30 s ahead, plus the skew margin', 'Wed, 25 Nov 2026 12:00:30 GMT', 31_000],
    ['RFC 850 date 30 s ahead', 'Wednesday, 25-Nov-26 12:00:30 GMT', 31_000],
    ['asctime date 30 s ahead (read as UTC, not local time)', 'Wed Nov 25 12:00:30 2026', 31_000],
    ['asctime with a space-padded day', 'Sun Nov  1 12:00:00 2026', 0],
    ['a date in the past', 'Sun, 06 Nov 1994 08:49:37 GMT', 0],
    ['a date equal to now', 'Wed, 25 Nov 2026 12:00:00 GMT', 0],
    ['the latest of two comma-joined dates', 'Wed, 25 Nov 2026 12:00:10 GMT, Wed, 25 Nov 2026 12:00:50 GMT', 51_000],
    ['a date after a garbage value', 'soon, Wed, 25 Nov 2026 12:00:10 GMT', 11_000],
    ['exactly one year of seconds', '31536000', ONE_YEAR_MS],
    ['an epoch timestamp, as ky reads one', String(nowSeconds + 20), 21_000],
    ['garbage', 'abc', undefined],
    ['an empty value', '', undefined],
    ['a negative number', '-5', undefined],
    ['an exponent', '1e3', undefined],
    ['an overflowing exponent', '1e400', undefined],
    ['Infinity', 'Infinity', undefined],
    ['more than a year of seconds', '31536001', undefined],
    ['a date more than a year ahead', 'Fri, 25 Nov 2033 12:00:00 GMT', undefined],
    ['an impossible date', 'Mon, 31 Feb 2026 12:00:00 GMT', undefined],
    ['an impossible time', 'Wed, 25 Nov 2026 25:00:00 GMT', undefined],
    ['a date without GMT', 'Wed, 25 Nov 2026 12:00:30', undefined],
  ];
  it.each(cases)('reads %s (%j)', (_name, value, delayMs) => {
    const result = wait({ 'retry-after': value });
    expect(result?.delayMs).toBe(delayMs);
    if (result !== undefined) expect(result).toEqual({ delayMs, retryAt: now + (delayMs ?? 0), source: 'retry-after' });
  });
});

describe('parseServerWait: rate-limit fields', () => {
  const cases: Array<[string, Record<string, string>, number | undefined, WaitSource | undefined]> = [
    ['RateLimit-Reset delta seconds, exactly', { 'ratelimit-reset': '2' }, 2000, 'ratelimit-reset'],
    ['RateLimit-Reset with RateLimit-Remaining: 0', { 'ratelimit-reset': '30', 'ratelimit-remaining': '0' }, 30_000, 'ratelimit-reset'],
    ['RateLimit-Reset as epoch seconds', { 'ratelimit-reset': String(nowSeconds + 10) }, 11_000, 'ratelimit-reset'],
    ['no RateLimit-Reset wait while RateLimit-Remaining is above 0', { 'ratelimit-reset': '30', 'ratelimit-remaining': '5' }, undefined, undefined],
    ['structured RateLimit with r=0', { ratelimit: '"default";r=0;t=30' }, 30_000, 'ratelimit'],
    ['the largest t among exhausted policies', { ratelimit: '"burst";r=0;t=5, "daily";r=0;t=50, "hourly";r=3;t=900' }, 50_000, 'ratelimit'],
    ['a token policy name', { ratelimit: 'default;r=0;t=12' }, 12_000, 'ratelimit'],
    ['repeated RateLimit field lines', { ratelimit: '"a";r=4;t=9, "b";r=0;t=3' }, 3000, 'ratelimit'],
    ['the draft -07 dictionary form', { ratelimit: 'limit=100, remaining=0, reset=7' }, 7000, 'ratelimit'],
    ['no structured wait when no policy is exhausted', { ratelimit: '"default";r=10;t=30' }, undefined, undefined],
    ['no structured wait for r=0 without t', { ratelimit: '"default";r=0' }, undefined, undefined],
    ['X-RateLimit-Retry-After as epoch seconds (Symfony)', { 'x-ratelimit-retry-after': String(nowSeconds + 4) }, 5000, 'x-ratelimit-retry-after'],
    ['X-RateLimit-Reset as epoch seconds (GitHub)', { 'x-ratelimit-reset': String(nowSeconds + 60), 'x-ratelimit-remaining': '0' }, 61_000, 'x-ratelimit-reset'],
    ['X-RateLimit-Reset as epoch milliseconds', { 'x-ratelimit-reset': String(now + 2500) }, 3500, 'x-ratelimit-reset'],
    ['X-RateLimit-Reset as delta seconds', { 'x-ratelimit-reset': '15' }, 15_000, 'x-ratelimit-reset'],
    ['X-RateLimit-Reset as an RFC 3339 time', { 'x-ratelimit-reset': '2026-11-25T13:00:05+01:00' }, 6000, 'x-ratelimit-reset'],
    ['X-RateLimit-Reset in the past', { 'x-ratelimit-reset': String(nowSeconds - 5) }, 0, 'x-ratelimit-reset'],
    ['the X-Rate-Limit-Reset spelling', { 'x-rate-limit-reset': '4' }, 4000, 'x-ratelimit-reset'],
    ['no X-RateLimit-Reset wait while X-RateLimit-Remaining is above 0', { 'x-ratelimit-reset': String(nowSeconds + 3600), 'x-ratelimit-remaining': '4999' }, undefined, undefined],
    ['a pre-2024 epoch-looking value is garbage', { 'x-ratelimit-reset': '1600000000' }, undefined, undefined],
    ['nothing at all', {}, undefined, undefined],
  ];
  it.each(cases)('reads %s', (_name, headers, delayMs, source) => {
    const result = wait(headers);
    expect(result?.delayMs).toBe(delayMs);
    expect(result?.source).toBe(source);
  });
});

describe('parseServerWait: precedence', () => {
  const all = {
    'retry-after': '1',
    ratelimit: '"default";r=0;t=2',
    'ratelimit-reset': '3',
    'x-ratelimit-retry-after': '4',
    'x-ratelimit-reset': '5',
  };
  const cases: Array<[string, Record<string, string>, WaitSource, number]> = [
    ['Retry-After over every rate-limit field', all, 'retry-after', 1000],
    ['structured RateLimit when Retry-After is garbage', { ...all, 'retry-after': 'later' }, 'ratelimit', 2000],
    ['RateLimit-Reset when the structured field is malformed', { ...all, 'retry-after': 'x', ratelimit: '"default";r=0;t=' }, 'ratelimit-reset', 3000],
    ['RateLimit-Reset when no structured policy is exhausted', { ...all, 'retry-after': 'x', ratelimit: '"d";r=1;t=2' }, 'ratelimit-reset', 3000],
    ['X-RateLimit-Retry-After after RateLimit-Reset', { 'x-ratelimit-retry-after': '4', 'x-ratelimit-reset': '5', 'ratelimit-reset': '-1' }, 'x-ratelimit-retry-after', 4000],
    ['X-RateLimit-Reset last', { 'x-ratelimit-reset': '5', 'ratelimit-reset': '99999999999' }, 'x-ratelimit-reset', 5000],
  ];
  it.each(cases)('uses %s', (_name, headers, source, delayMs) => {
    expect(wait(headers)).toMatchObject({ source, delayMs });
  });
});

describe('parseServerWait: options', () => {
  it('adds skewMarginMs only to waits from absolute times', () => {
    const date = 'Wed, 25 Nov 2026 12:00:30 GMT';
    expect(wait({ 'retry-after': date }, 0)?.delayMs).toBe(30_000);
    expect(wait({ 'retry-after': date }, 250)?.delayMs).toBe(30_250);
    expect(wait({ 'retry-after': '30' }, 250)?.delayMs).toBe(30_000);
  });

  it('treats a negative skew margin as 0 and a non-finite one as the 1000 ms default', () => {
    const headers = { 'retry-after': 'Wed, 25 Nov 2026 12:00:30 GMT' };
    expect(wait(headers, -500)?.delayMs).toBe(30_000);
    expect(wait(headers, Number.NaN)?.delayMs).toBe(31_000);
  });

  it('returns undefined rather than NaN when now is not finite', () => {
    expect(parseServerWait(new Headers({ 'retry-after': '5' }), { now: Number.NaN })).toBeUndefined();
  });

  it('reads an RFC 850 two-digit year as the most recent matching past year', () => {
    const result = wait({ 'retry-after': 'Sunday, 06-Nov-94 08:49:37 GMT' });
    expect(result?.delayMs).toBe(0);
  });
});

describe('parseServerWait: properties', () => {
  const checkWait = (headers: Headers, at: number): void => {
    const result = parseServerWait(headers, { now: at });
    if (result === undefined) return;
    expect(Number.isInteger(result.delayMs)).toBe(true);
    expect(result.delayMs).toBeGreaterThanOrEqual(0);
    expect(result.delayMs).toBeLessThanOrEqual(ONE_YEAR_MS);
    expect(result.retryAt).toBe(at + result.delayMs);
  };

  it('never throws and returns a finite, non-negative wait of at most a year for arbitrary values', () => {
    fc.assert(
      fc.property(fc.constantFrom(...WAIT_HEADERS), headerValue, fc.integer({ min: 0, max: 4_102_444_800_000 }), (name, value, at) => {
        checkWait(new Headers({ [name]: value }), at);
      }),
      { numRuns: 2000 },
    );
  });

  it('holds for arbitrary mixes of the headers', () => {
    const mix = fc.dictionary(fc.constantFrom(...WAIT_HEADERS), headerValue, { maxKeys: WAIT_HEADERS.length });
    fc.assert(
      fc.property(mix, fc.integer({ min: 0, max: 4_102_444_800_000 }), (headers, at) => {
        checkWait(new Headers(headers), at);
      }),
      { numRuns: 1000 },
    );
  });

  it('turns delta seconds into exactly seconds * 1000 ms', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 31_536_000 }), fc.integer({ min: 0, max: 10_000 }), (seconds, skew) => {
        const result = parseServerWait(new Headers({ 'ratelimit-reset': String(seconds) }), { now, skewMarginMs: skew });
        expect(result?.delayMs).toBe(seconds * 1000);
      }),
    );
  });

  it('turns a future HTTP-date into the distance to it plus the skew margin', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 364 * 86_400 }), (seconds) => {
        const date = new Date(now + seconds * 1000).toUTCString();
        expect(wait({ 'retry-after': date })?.delayMs).toBe(seconds * 1000 + 1000);
      }),
    );
  });
});
