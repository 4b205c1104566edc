import { afterEach, describe, expect, it } from 'vitest';
import { RetryLaterError } from '../src/errors/errors.js';
import type { SurefetchEvent } from '../src/core/events.js';
import { rateLimit, type RateLimitMiddleware, type RateLimitOptions } from '../src/rate-limit/middleware.js';
import { call, pool } from './rate-limit-harness.js';
import { startRateLimitServer, type RateLimitServer, type ScriptedReply } from './rate-limit-server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

// Probes that verify a hold are 5 s apart here: a healthy call held by the other partition
// would take at least that long.
async function setup(script: (path: string) => ScriptedReply, options: RateLimitOptions = {}): Promise<{ api: RateLimitServer; limit: RateLimitMiddleware }> {
  const api = await startRateLimitServer({ script: ({ path }) => script(path) });
  const limit = rateLimit({ probeIntervalMs: 5000, ...options });
  cleanups.push(() => api.close(), () => limit.close());
  return { api, limit };
}

const HOUR_S = 3600;
const epochIn = (seconds: number): string => String(Math.floor(Date.now() / 1000) + seconds);

// Runs the exhausted partition's calls and the healthy one's side by side; returns what the
// healthy calls saw.
async function healthyBesideExhausted(
  api: RateLimitServer,
  limit: RateLimitMiddleware,
  exhaustedPath: string,
  healthyPath: (index: number) => string,
): Promise<{ statuses: number[]; elapsedMs: number; waits: SurefetchEvent[]; refused: unknown[] }> {
  // The exhausted partition answers first, so its hold is known before the healthy calls start.
  const first = await call(limit, `${api.url}${exhaustedPath}`).catch((error: unknown) => error);
  const events: SurefetchEvent[] = [];
  const started = Date.now();
  const healthy = pool(40, 8, (index) => call(limit, `${api.url}${healthyPath(index)}`, { events })).then((statuses) => ({ statuses, elapsedMs: Date.now() - started }));
  const [{ statuses, elapsedMs }, refused] = await Promise.all([
    healthy,
    // These calls can wait 1 s: they give up rather than wait 5 s for a probe of their partition.
    pool(4, 2, () => call(limit, `${api.url}${exhaustedPath}`, { maxWaitMs: 1000 }).catch((error: unknown) => error)),
  ]);
  return { statuses, elapsedMs, waits: events.filter((event) => event.type === 'wait'), refused: [first, ...refused] };
}

describe('rateLimit: partitions', () => {
  it('keeps the partition x-ratelimit-resource names apart: search exhausted for an hour, core at full speed', async () => {
    let coreLeft = 5000;
    const { api, limit } = await setup((path) => {
      const common = { 'x-ratelimit-reset': epochIn(HOUR_S) };
      if (path.startsWith('/search')) {
        return { status: 403, headers: { ...common, 'x-ratelimit-limit': '30', 'x-ratelimit-remaining': '0', 'x-ratelimit-resource': 'search' }, body: '{"message":"API rate limit exceeded"}' };
      }
      coreLeft -= 1;
      return { status: 200, headers: { ...common, 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': String(coreLeft), 'x-ratelimit-resource': 'core' } };
    });
    const result = await healthyBesideExhausted(api, limit, '/search/code', (index) => `/repos/o/r/issues/${index}`);
    expect(result.statuses.every((status) => status === 200)).toBe(true);
    expect(result.waits).toEqual([]);
    expect(result.elapsedMs).toBeLessThan(4000); // never held: no hold, no probe (5 s apart)
    expect(api.log.filter((entry) => entry.path.startsWith('/repos')).every((entry) => entry.status === 200)).toBe(true);
    // The search calls end with the hour-long wait once a second answer confirmed it.
    for (const error of result.refused) expect(error).toBeInstanceOf(RetryLaterError);
    expect((result.refused[0] as RetryLaterError).retryAt).toBeGreaterThan(Date.now() + (HOUR_S - 60) * 1000);
  });

  it('keeps the policies the structured RateLimit field names apart', async () => {
    const { api, limit } = await setup((path) =>
      path.startsWith('/bulk')
        ? { status: 429, headers: { RateLimit: `"bulk";r=0;t=${HOUR_S}`, 'RateLimit-Policy': `"bulk";q=10;w=${HOUR_S}` } }
        : { status: 200, headers: { RateLimit: '"interactive";r=500;t=60', 'RateLimit-Policy': '"interactive";q=1000;w=60' } },
    );
    const result = await healthyBesideExhausted(api, limit, '/bulk/export', (index) => `/v1/items/${index}`);
    expect(result.statuses.every((status) => status === 200)).toBe(true);
    expect(result.waits).toEqual([]);
    expect(result.elapsedMs).toBeLessThan(4000);
    for (const error of result.refused) expect(error).toBeInstanceOf(RetryLaterError);
  });

  it('keeps the route groups the user declares apart when the server names no partition', async () => {
    const { api, limit } = await setup((path) =>
      path.startsWith('/search')
        ? { status: 429, headers: { 'RateLimit-Limit': '30', 'RateLimit-Remaining': '0', 'RateLimit-Reset': String(HOUR_S) } }
        : { status: 200, headers: { 'RateLimit-Limit': '5000', 'RateLimit-Remaining': '4000', 'RateLimit-Reset': String(HOUR_S) } },
      { groups: [{ name: 'search', path: '/search/*' }] },
    );
    const result = await healthyBesideExhausted(api, limit, '/search/issues', (index) => `/v1/orders/${index}`);
    expect(result.statuses.every((status) => status === 200)).toBe(true);
    expect(result.waits).toEqual([]);
    expect(result.elapsedMs).toBeLessThan(4000);
    for (const error of result.refused) expect(error).toBeInstanceOf(RetryLaterError);
  });

  it('still holds every call of the API on headers that name no partition and no group', async () => {
    const { api, limit } = await setup((path) =>
      path === '/a' ? { status: 200, headers: { 'RateLimit-Limit': '10', 'RateLimit-Remaining': '0', 'RateLimit-Reset': '1' } } : { status: 200 },
    );
    await call(limit, `${api.url}/a`);
    const started = Date.now();
    expect(await call(limit, `${api.url}/b`)).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });
});
