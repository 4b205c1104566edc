import { afterEach, describe, expect, it } from 'vitest';
import { RetryLaterError } from '../src/errors/errors.js';
import { rateLimit, type RateLimitMiddleware, type RateLimitOptions } from '../src/rate-limit/middleware.js';
import { call, pool } from './rate-limit-harness.js';
import { startRateLimitServer, type RateLimitServer, type RateLimitServerOptions } from './rate-limit-server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function setup(server: RateLimitServerOptions, options: RateLimitOptions = {}): Promise<{ api: RateLimitServer; limit: RateLimitMiddleware }> {
  const api = await startRateLimitServer(server);
  const limit = rateLimit(options);
  cleanups.push(() => api.close(), () => limit.close());
  return { api, limit };
}

const DAY_S = 86_400;
const dayLong = { 'RateLimit-Limit': '100', 'RateLimit-Remaining': '0', 'RateLimit-Reset': String(DAY_S) };
const settle = (promise: Promise<number>): Promise<number | unknown> => promise.catch((error: unknown) => error);

describe('rateLimit: one answer is evidence, not proof', () => {
  it('a day-long reset from one endpoint holds the other endpoints only until a healthy probe, within seconds', async () => {
    const { api, limit } = await setup({ script: ({ path }) => (path === '/a' ? { status: 200, headers: dayLong } : { status: 200 }), latencyMs: 50 });
    expect(await call(limit, `${api.url}/a`)).toBe(200);
    const started = Date.now();
    const durations = await pool(30, 8, async (index) => {
      const begun = Date.now();
      expect(await call(limit, `${api.url}/e${index % 5}`)).toBe(200);
      return Date.now() - begun;
    });
    expect(Math.max(...durations)).toBeLessThan(3000);
    expect(Date.now() - started).toBeLessThan(3000);
    // While the hold was unverified one probe went alone; the others followed its answer (50 ms).
    expect(api.log[2]!.time - api.log[1]!.time).toBeGreaterThanOrEqual(40);
    expect(api.log).toHaveLength(31);
  });

  it('a second exhausted answer confirms the hold: every waiting call rejects at once with retryAt, sending nothing more', async () => {
    const { api, limit } = await setup({ script: () => ({ status: 429, headers: dayLong }) }, { probeIntervalMs: 200 });
    const outcomes = await pool(12, 4, (index) => settle(call(limit, `${api.url}/e${index % 3}`)));
    for (const outcome of outcomes) {
      expect(outcome).toBeInstanceOf(RetryLaterError);
      expect((outcome as RetryLaterError).retryAt).toBeGreaterThan(Date.now() + (DAY_S - 60) * 1000);
    }
    // First contact sends one probe per endpoint; two endpoints agreeing confirm the hold.
    expect(api.log.length).toBeLessThanOrEqual(3);
    const later = Date.now();
    expect(await settle(call(limit, `${api.url}/e9`))).toBeInstanceOf(RetryLaterError);
    expect(Date.now() - later).toBeLessThan(100);
    expect(api.log.length).toBeLessThanOrEqual(3);
  });

  it('the endpoint that keeps answering day-long is held on its own once its second answer agrees; the others go on', async () => {
    const { api, limit } = await setup(
      { script: ({ path }) => (path === '/a' ? { status: 429, headers: dayLong } : { status: 200 }) },
      { probeIntervalMs: 200 },
    );
    const [a, b] = await Promise.all([settle(call(limit, `${api.url}/a`)), settle(call(limit, `${api.url}/b`))]);
    expect(a).toBeInstanceOf(RetryLaterError); // its own answer named a day: at once, 1 send
    expect(b).toBe(200);
    expect(await settle(call(limit, `${api.url}/a`))).toBeInstanceOf(RetryLaterError); // probes, and /a agrees
    const sentToA = api.log.filter((entry) => entry.path === '/a').length;
    expect(sentToA).toBe(2);
    expect(await settle(call(limit, `${api.url}/a`))).toBeInstanceOf(RetryLaterError);
    expect(api.log.filter((entry) => entry.path === '/a').length).toBe(sentToA);
    const started = Date.now();
    expect(await call(limit, `${api.url}/c`)).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it.each([
    ['Retry-After: 0', { 'Retry-After': '0' }],
    ['a Retry-After date in the past', { 'Retry-After': 'Sun, 06 Nov 1994 08:49:37 GMT' }],
    ['an exhausted budget whose reset is in the past', { 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(Math.floor(Date.now() / 1000) - 30) }],
  ])('%s gets one probe, then backs off: no burst', async (_name, headers) => {
    const { api, limit } = await setup({ script: ({ index }) => (index < 3 ? { status: 429, headers } : undefined) });
    const statuses = await Promise.all(Array.from({ length: 8 }, () => settle(call(limit, `${api.url}/x`))));
    expect(statuses.every((status) => status === 200)).toBe(true);
    const first = api.log[0]!.time;
    // At most the first send and one probe within 200 ms; then a 1 s backoff step, then 2 s.
    expect(api.log.filter((entry) => entry.time - first < 200).length).toBeLessThanOrEqual(2);
    expect(api.log[2]!.time - first).toBeGreaterThanOrEqual(900);
    expect(api.tooManyRequests()).toBe(3);
  });
});
