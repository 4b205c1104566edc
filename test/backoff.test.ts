import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../src/verdict/backoff.js';

const at = (value: number) => () => value;

describe('backoffDelayMs', () => {
  const cases: Array<[string, number, number, number, number, number]> = [
    // name, attempt, baseMs, maxMs, random(), expected
    ['the first attempt draws from [0, base)', 1, 100, 10_000, 0.5, 50],
    ['the window doubles per attempt', 3, 100, 10_000, 0.5, 200],
    ['the window is capped at maxMs', 10, 100, 1000, 0.5, 500],
    ['random() = 0 gives no delay', 5, 100, 10_000, 0, 0],
    ['random() close to 1 stays below the window', 2, 100, 10_000, 0.999_999, 199],
    ['delays are whole milliseconds', 1, 3, 10_000, 0.5, 1],
    ['attempt 0 counts as 1', 0, 100, 10_000, 0.5, 50],
    ['a negative attempt counts as 1', -3, 100, 10_000, 0.5, 50],
    ['a NaN attempt counts as 1', Number.NaN, 100, 10_000, 0.5, 50],
    ['a fractional attempt is floored', 2.9, 100, 10_000, 0.5, 100],
    ['a huge attempt stays at maxMs', 1e9, 100, 10_000, 0.5, 5000],
    ['an infinite attempt stays at maxMs', Number.POSITIVE_INFINITY, 100, 10_000, 0.5, 5000],
    ['random() above 1 is clamped', 1, 100, 10_000, 7, 99],
    ['a negative random() is clamped to 0', 1, 100, 10_000, -1, 0],
    ['a NaN random() counts as 0', 1, 100, 10_000, Number.NaN, 0],
    ['a negative base gives no delay', 3, -100, 10_000, 0.5, 0],
    ['a NaN maxMs gives no delay', 3, 100, Number.NaN, 0.5, 0],
    ['an infinite maxMs leaves the exponential window', 4, 100, Number.POSITIVE_INFINITY, 0.5, 400],
  ];
  it.each(cases)('%s', (_name, attempt, baseMs, maxMs, random, expected) => {
    expect(backoffDelayMs(attempt, { baseMs, maxMs, random: at(random) })).toBe(expected);
  });

  it('is always a whole number in [0, min(maxMs, base * 2^(attempt-1))) for any input', () => {
    const number = fc.oneof(fc.double(), fc.integer({ min: -10, max: 2000 }));
    fc.assert(
      fc.property(number, number, number, fc.double(), (attempt, baseMs, maxMs, random) => {
        const delay = backoffDelayMs(attempt, { baseMs, maxMs, random: at(random) });
        expect(Number.isSafeInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        if (maxMs >= 0) expect(delay).toBeLessThanOrEqual(maxMs);
      }),
      { numRuns: 2000 },
    );
  });

  it('never exceeds the exponential window for sane inputs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 1000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, baseMs, random) => {
        const delay = backoffDelayMs(attempt, { baseMs, maxMs: 60_000, random: at(random) });
        expect(delay).toBeLessThan(Math.max(1, Math.min(60_000, baseMs * 2 ** (attempt - 1))));
      }),
    );
  });
});
