import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRateLimitExhausted, parseRateLimitState, type RateLimitState } from '../src/verdict/rate-limit-headers.js';
import { headerValue, WAIT_HEADERS } from './support/header-arbitraries.js';

const now = Date.UTC(2026, 10, 25, 12, 0, 0);
const nowSeconds = now / 1000;
const state = (headers: Record<string, string>) => parseRateLimitState(new Headers(headers), { now });

describe('parseRateLimitState', () => {
  const cases: Array<[string, Record<string, string>, RateLimitState | undefined]> = [
    [
      'the structured field with its named policy',
      { ratelimit: '"burst";r=0;t=5', 'ratelimit-policy': '"burst";q=100;w=60' },
      { limit: 100, remaining: 0, resetAt: now + 5000, windowMs: 60_000, source: 'ratelimit' },
    ],
    [
      'the most constraining of several structured policies, matched to its own policy',
      {
        ratelimit: '"daily";r=900;t=3600, "burst";r=2;t=8',
        'ratelimit-policy': '"burst";q=10;w=10, "daily";q=1000;w=86400',
      },
      { limit: 10, remaining: 2, resetAt: now + 8000, windowMs: 10_000, source: 'ratelimit' },
    ],
    [
      'the later reset when two policies have the same remaining count',
      { ratelimit: '"a";r=0;t=5, "b";r=0;t=50' },
      { remaining: 0, resetAt: now + 50_000, source: 'ratelimit' },
    ],
    [
      'the only policy when names do not match',
      { ratelimit: '"x";r=3', 'ratelimit-policy': '"y";q=5;w=1' },
      { limit: 5, remaining: 3, windowMs: 1000, source: 'ratelimit' },
    ],
    [
      'the draft -07 dictionary form with an old-style policy',
      { ratelimit: 'limit=100, remaining=25, reset=5', 'ratelimit-policy': '100;w=60' },
      { limit: 100, remaining: 25, resetAt: now + 5000, windowMs: 60_000, source: 'ratelimit' },
    ],
    [
      'the separate RateLimit-* fields of drafts up to -06',
      { 'ratelimit-limit': '100, 100;w=60', 'ratelimit-remaining': '7', 'ratelimit-reset': '9' },
      { limit: 100, remaining: 7, resetAt: now + 9000, windowMs: 60_000, source: 'ratelimit-fields' },
    ],
    [
      'RateLimit-Reset alone (the fulfillment API on a 429)',
      { 'ratelimit-reset': '2' },
      { resetAt: now + 2000, source: 'ratelimit-fields' },
    ],
    [
      'a separate RateLimit-Policy for the window',
      { 'ratelimit-limit': '50', 'ratelimit-policy': '50;w=30', 'ratelimit-remaining': '1' },
      { limit: 50, remaining: 1, windowMs: 30_000, source: 'ratelimit-fields' },
    ],
    [
      "GitHub's X-RateLimit-* with an epoch-seconds reset",
      { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(nowSeconds + 100) },
      { limit: 5000, remaining: 0, resetAt: now + 101_000, source: 'x-ratelimit' },
    ],
    [
      'X-RateLimit-Limit with a window parameter',
      { 'x-ratelimit-limit': '100;w=60', 'x-ratelimit-remaining': '99' },
      { limit: 100, remaining: 99, windowMs: 60_000, source: 'x-ratelimit' },
    ],
    [
      'the X-Rate-Limit-* spelling',
      { 'x-rate-limit-limit': '15', 'x-rate-limit-remaining': '14', 'x-rate-limit-reset': '900' },
      { limit: 15, remaining: 14, resetAt: now + 900_000, source: 'x-ratelimit' },
    ],
    ['Retry-After alone', { 'retry-after': '30' }, { resetAt: now + 30_000, source: 'retry-after' }],
    [
      'Retry-After overriding the reset of a rate-limit family',
      { 'retry-after': '60', ratelimit: '"default";r=0;t=30' },
      { remaining: 0, resetAt: now + 60_000, source: 'ratelimit' },
    ],
    [
      'the structured family first, never mixed with X-RateLimit-*',
      { ratelimit: '"d";r=4;t=1', 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0' },
      { remaining: 4, resetAt: now + 1000, source: 'ratelimit' },
    ],
    [
      'the next family when one is only garbage',
      { ratelimit: 'r=;;', 'ratelimit-remaining': 'lots', 'x-ratelimit-remaining': '3' },
      { remaining: 3, source: 'x-ratelimit' },
    ],
    ['nothing for garbage only', { 'ratelimit-remaining': '-1', 'x-ratelimit-reset': 'soon', 'retry-after': 'later' }, undefined],
    ['nothing without headers', {}, undefined],
  ];
  it.each(cases)('reads %s', (_name, headers, expected) => {
    expect(state(headers)).toEqual(expected);
  });

  it('adds the skew margin to absolute reset times only', () => {
    const headers = new Headers({ 'x-ratelimit-reset': String(nowSeconds + 10), 'x-ratelimit-remaining': '0' });
    expect(parseRateLimitState(headers, { now, skewMarginMs: 0 })?.resetAt).toBe(now + 10_000);
    expect(parseRateLimitState(new Headers({ 'ratelimit-reset': '10' }), { now, skewMarginMs: 5000 })?.resetAt).toBe(now + 10_000);
  });

  it('omits resetAt rather than returning NaN when now is not finite', () => {
    expect(parseRateLimitState(new Headers({ 'ratelimit-remaining': '3', 'ratelimit-reset': '5' }), { now: Number.NaN })).toEqual({
      remaining: 3,
      source: 'ratelimit-fields',
    });
  });
});

describe('isRateLimitExhausted', () => {
  const cases: Array<[number, Record<string, string>, boolean]> = [
    [403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(nowSeconds + 60) }, true],
    [429, { 'x-ratelimit-remaining': '0' }, true],
    [403, { 'x-rate-limit-remaining': '0' }, true],
    [429, { 'ratelimit-remaining': '0' }, true],
    [403, { ratelimit: '"burst";r=0;t=5, "daily";r=10;t=80' }, true],
    [429, { ratelimit: 'limit=10, remaining=0, reset=3' }, true],
    [403, { 'x-ratelimit-remaining': '12' }, false],
    [403, { ratelimit: '"burst";r=2;t=5' }, false],
    [403, {}, false],
    [403, { 'x-ratelimit-remaining': 'zero' }, false],
    [429, {}, false],
    [401, { 'x-ratelimit-remaining': '0' }, false],
    [200, { 'x-ratelimit-remaining': '0' }, false],
    [503, { 'ratelimit-remaining': '0' }, false],
  ];
  it.each(cases)('HTTP %i with %j → %s', (status, headers, expected) => {
    expect(isRateLimitExhausted(status, new Headers(headers))).toBe(expected);
  });
});

describe('parseRateLimitState: properties', () => {
  it('never throws, and every number it returns is finite and non-negative', () => {
    const mix = fc.dictionary(fc.constantFrom(...WAIT_HEADERS), headerValue, { maxKeys: WAIT_HEADERS.length });
    fc.assert(
      fc.property(mix, fc.integer({ min: 0, max: 4_102_444_800_000 }), (headers, at) => {
        const result = parseRateLimitState(new Headers(headers), { now: at });
        if (result === undefined) return;
        for (const key of ['limit', 'remaining', 'resetAt', 'windowMs'] as const) {
          const value = result[key];
          if (value === undefined) continue;
          expect(Number.isFinite(value)).toBe(true);
          expect(value).toBeGreaterThanOrEqual(0);
        }
        if (result.resetAt !== undefined) expect(result.resetAt).toBeGreaterThanOrEqual(at);
        expect(isRateLimitExhausted(429, new Headers(headers))).toBeTypeOf('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('reads back any remaining count and delta reset it is given', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), fc.nat({ max: 86_400 }), (remaining, seconds) => {
        const result = state({ 'ratelimit-remaining': String(remaining), 'ratelimit-reset': String(seconds) });
        expect(result).toEqual({ remaining, resetAt: now + seconds * 1000, source: 'ratelimit-fields' });
      }),
    );
  });
});
