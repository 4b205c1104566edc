import { afterEach, describe, expect, it } from 'vitest';
import { rateLimit } from '../src/rate-limit/middleware.js';
import { parseHttpDate } from '../src/verdict/http-date.js';
import { createServerClock } from '../src/verdict/server-clock.js';
import { parseServerWait } from '../src/verdict/server-wait.js';
import { call } from './rate-limit-harness.js';
import { startRateLimitServer, type RateLimitServer } from './rate-limit-server.js';

const T = Date.UTC(2026, 11, 2, 8, 0, 0);
const dateAt = (ms: number): string => new Date(ms).toUTCString();

describe('the server clock measured from Date headers', () => {
  it('is the largest recent sample of Date - now: a lower bound that tightens as answers arrive at other phases of the second', () => {
    const clock = createServerClock();
    expect(clock.offsetMs(T)).toBeUndefined();
    // The server runs 2400 ms ahead; its Date is whole seconds.
    for (const localMs of [T + 100, T + 350, T + 620, T + 590]) clock.note(new Headers({ date: dateAt(localMs + 2400 - ((localMs + 2400) % 1000)) }), localMs);
    const offset = clock.offsetMs(T + 700) ?? Number.NaN;
    expect(offset).toBeLessThanOrEqual(2400);
    expect(offset).toBe(2400 - 20); // from the sample 20 ms after the server's second ticked
  });

  it('ignores a Date that is no date or a day away, and forgets samples after ten minutes', () => {
    const clock = createServerClock();
    clock.note(new Headers({ date: 'yesterday' }), T);
    clock.note(new Headers({ date: dateAt(T + 3 * 86_400_000) }), T);
    expect(clock.offsetMs(T)).toBeUndefined();
    clock.note(new Headers({ date: dateAt(T) }), T);
    expect(clock.offsetMs(T + 1)).toBe(0);
    expect(clock.offsetMs(T + 600_001)).toBeUndefined();
  });

  it('places absolute reset times on our clock with it, without the skew margin (and with the margin when unmeasured)', () => {
    const headers = new Headers({ 'retry-after': dateAt(T + 5000) });
    expect(parseServerWait(headers, { now: T, skewMarginMs: 1000 })?.delayMs).toBe(6000);
    // The server is 3000 ms ahead: its T + 5000 is our T + 2000.
    expect(parseServerWait(headers, { now: T, skewMarginMs: 1000, serverOffsetMs: 3000 })?.delayMs).toBe(2000);
    const epoch = new Headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': ((T + 1250) / 1000).toFixed(3) });
    expect(parseServerWait(epoch, { now: T, serverOffsetMs: 0 })?.delayMs).toBe(1250);
  });

  it('reads the fraction of a second of an RFC 3339 reset time, rounded up to the ms', () => {
    expect(parseHttpDate('2026-12-02T08:00:00.2501Z', T)).toBe(T + 251);
    expect(parseHttpDate('2026-12-02T09:00:00.5+01:00', T)).toBe(T + 500);
  });
});

describe('rateLimit against a server whose clock runs 5 s ahead', () => {
  let api: RateLimitServer | undefined;
  afterEach(async () => {
    await api?.close();
  });

  it('waits out a refusal whose reset is an epoch time 300 ms away on the server’s clock: never early, and not the 6.3 s that skew plus a margin would cost', async () => {
    const aheadMs = 5000;
    const serverNow = (): number => Date.now() + aheadMs;
    api = await startRateLimitServer({
      script: ({ index }) => {
        const stamp = serverNow();
        const headers = { Date: dateAt(stamp) };
        if (index !== 0) return { status: 200, headers };
        return { status: 429, headers: { ...headers, 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': ((stamp + 300) / 1000).toFixed(3) } };
      },
    });
    const limit = rateLimit();
    try {
      expect(await call(limit, `${api.url}/v1/items`)).toBe(200);
    } finally {
      await limit.close();
    }
    const [refused, resent] = api.log;
    const gapMs = (resent?.time ?? 0) - (refused?.time ?? 0);
    expect(gapMs).toBeGreaterThanOrEqual(300);
    // The one Date sample is whole seconds: the wait is at most a second later than the server's instant.
    expect(gapMs).toBeLessThan(300 + 1000 + 500);
  });
});
