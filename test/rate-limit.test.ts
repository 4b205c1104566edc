import Bottleneck from 'bottleneck';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../src/core/clock.js';
import { RetryLaterError } from '../src/errors/errors.js';
import type { SurefetchEvent, WaitEvent } from '../src/core/events.js';
import { apiKeyOf } from '../src/rate-limit/api-key.js';
import { createFetch } from '../src/pipeline/create-fetch.js';
import { retry } from '../src/retry/retry.js';
import type { Middleware } from '../src/core/types.js';
import { rateLimit, type RateLimitMiddleware, type RateLimitOptions } from '../src/rate-limit/middleware.js';
import { call, contextFor, fetchNext, pool } from './rate-limit-harness.js';
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

const waits = (events: SurefetchEvent[]): WaitEvent[] => events.filter((event): event is WaitEvent => event.type === 'wait');

describe('rateLimit: pacing from the learned budget', () => {
  it('sends 120 GETs at concurrency 16 against 50 per 1000 ms with at most one 429, as fast as the windows allow', async () => {
    const { api, limit } = await setup({ limit: 50, windowMs: 1000 });
    const started = Date.now();
    const statuses = await pool(120, 16, () => call(limit, `${api.url}/v1/orders/list`));
    const elapsedMs = Date.now() - started;
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(api.tooManyRequests()).toBeLessThanOrEqual(1);
    // 120 requests need 3 windows: the third opens 2000 ms after the first. Every request must
    // land in those three (none wasted or pushed to a fourth); how fast is the benchmark's job.
    expect(elapsedMs).toBeGreaterThanOrEqual(2000);
    const arrivals = api.log.map((entry) => entry.time);
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeLessThan(3000);
    console.info(`[rate-limit] 120 GETs, 50/1000 ms, concurrency 16: ${elapsedMs} ms (ideal ≈ 2000 ms), 429s: ${api.tooManyRequests()}`);
  });

  it('holds the next call until the reset once remaining reaches 0, without spending a request to learn it', async () => {
    const events: SurefetchEvent[] = [];
    const { api, limit } = await setup({ limit: 2, windowMs: 1000 });
    for (let i = 0; i < 5; i += 1) expect(await call(limit, `${api.url}/v1/orders/list`, { events })).toBe(200);
    expect(api.tooManyRequests()).toBe(0);
    const times = api.log.map((entry) => entry.time - api.log[0]!.time);
    expect(times[1]).toBeLessThan(500); // the second fits the window: no hold (a hold is ≥ 1000 ms)
    expect(times[2]).toBeGreaterThanOrEqual(1000);
    expect(times[4]).toBeGreaterThanOrEqual(2000);
    expect(waits(events).map((event) => event.source)).toEqual(['ratelimit-remaining', 'ratelimit-remaining']);
  });

  it('takes the hold as one sleep on the injected clock: RateLimit-Reset: 2 → 2000 ms', async () => {
    const clock = createManualClock();
    const { api, limit } = await setup({
      script: ({ index }) => (index === 0 ? { status: 200, headers: { 'RateLimit-Limit': '1', 'RateLimit-Remaining': '0', 'RateLimit-Reset': '2' } } : undefined),
    });
    const events: SurefetchEvent[] = [];
    await call(limit, `${api.url}/a`, { clock });
    await call(limit, `${api.url}/b`, { clock, events });
    expect(clock.sleeps).toEqual([2000]);
    expect(waits(events)).toMatchObject([{ delayMs: 2000, source: 'ratelimit-remaining' }]);
    expect(api.log).toHaveLength(2);
  });

  it.each([
    ['the structured RateLimit field', { RateLimit: '"default";r=0;t=3', 'RateLimit-Policy': '"default";q=100;w=60' }, 3000],
    ['X-RateLimit-* with a delta reset', { 'X-RateLimit-Limit': '10', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '4' }, 4000],
    ['RateLimit-* fields', { 'RateLimit-Limit': '10', 'RateLimit-Remaining': '0', 'RateLimit-Reset': '5' }, 5000],
  ])('learns an exhausted budget from %s on a 200 and holds the next call until its reset', async (_name, headers, expectedMs) => {
    const clock = createManualClock();
    const { api, limit } = await setup({ script: ({ index }) => (index === 0 ? { status: 200, headers } : undefined) });
    await call(limit, `${api.url}/a`, { clock });
    await call(limit, `${api.url}/b`, { clock });
    expect(clock.sleeps).toEqual([expectedMs]);
    expect(api.log).toHaveLength(2);
  });

  it('keeps one budget per credential on the same host, named without the credential', async () => {
    const { api, limit } = await setup({ limit: 1, windowMs: 1000 });
    const started = Date.now();
    for (const key of ['key-a', 'key-b']) expect(await call(limit, `${api.url}/x`, { headers: { 'x-api-key': key } })).toBe(200);
    expect(Date.now() - started).toBeLessThan(900); // one shared budget would hold key-b for the 1000 ms window
    const id = apiKeyOf(contextFor(`${api.url}/x`, { headers: { authorization: 'Bearer sk_live_secret' } }).request);
    expect(id).toMatch(/^127\.0\.0\.1:\d+:[0-9a-f]{16}$/);
    expect(id).not.toContain('secret');
  });

  it('names each API anew when consecutive requests change host, port or credential, and the same name when they do not', () => {
    const nameOf = (url: string, headers?: Record<string, string>): string => apiKeyOf(contextFor(url, headers === undefined ? undefined : { headers }).request);
    const a = nameOf('http://api.test/x', { 'x-api-key': 'key-a' });
    const sequence = [
      nameOf('http://api.test/y', { 'x-api-key': 'key-a' }),
      nameOf('http://api.test/x', { 'x-api-key': 'key-b' }),
      nameOf('http://api.test/x', { 'x-api-key': 'key-a' }),
      nameOf('http://api.test/x'),
      nameOf('http://api.test:8080/x', { 'x-api-key': 'key-a' }),
      nameOf('http://other.test/x', { 'x-api-key': 'key-a' }),
      nameOf('http://api.test/x', { 'x-api-key': 'key-a' }),
    ];
    expect(sequence).toEqual([a, expect.not.stringMatching(a), a, 'api.test:anonymous', expect.stringMatching(/^api\.test:8080:/), expect.stringMatching(/^other\.test:/), a]);
    expect(new Set(sequence).size).toBe(5);
  });

  it('keys a request by the credential a middleware swapped in (a spread of the spec), not the one named before the swap', async () => {
    const { api, limit } = await setup({ limit: 1, windowMs: 1000 });
    // retry, outermost, names the API of the spec createFetch built (key-a) before the swap.
    const swap: Middleware = (ctx, next) =>
      ctx.request.headers.get('x-swap') === null ? next(ctx) : next({ ...ctx, request: { ...ctx.request, headers: new Headers({ 'x-api-key': 'key-b' }) } });
    const sureFetch = createFetch({ middleware: [retry(), swap, limit] });
    const started = Date.now();
    expect((await sureFetch(`${api.url}/x`, { headers: { 'x-api-key': 'key-a' } })).status).toBe(200);
    expect((await sureFetch(`${api.url}/x`, { headers: { 'x-api-key': 'key-a', 'x-swap': '1' } })).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(900); // keyed as key-a, the second call waits out key-a's 1000 ms window
  });

  it('refuses the old redis: { url } option with a TypeError naming surefetch/rate-limit-redis, before any call', () => {
    expect(() => rateLimit({ redis: { url: 'redis://127.0.0.1:6379' } as unknown as RateLimitOptions['redis'] })).toThrow(
      new TypeError("rateLimit({ redis }) takes rateLimitRedis({ url }) from 'surefetch/rate-limit-redis'"),
    );
  });
});

describe('rateLimit: refusals pause every call of the API', () => {
  it('on a 429 pauses the other in-flight and queued calls until Retry-After, then re-sends the refused one', async () => {
    const { api, limit } = await setup({
      script: ({ index }) => (index === 10 ? { status: 429, headers: { 'Retry-After': '1' } } : undefined),
    });
    const statuses = await pool(30, 8, () => call(limit, `${api.url}/v1/orders/list`));
    expect(statuses.every((status) => status === 200)).toBe(true);
    const refusedAt = api.log.find((entry) => entry.status === 429)!.time;
    // Only calls already on the wire when the 429 came back (at most the 7 others) may land
    // just after it; nothing else until the pause ends.
    const during = api.log.filter((entry) => entry.time > refusedAt && entry.time < refusedAt + 1000);
    expect(during.length).toBeLessThanOrEqual(7);
    expect(during.filter((entry) => entry.time > refusedAt + 500)).toEqual([]); // the pause is 1000 ms
    // Before the 429's answer at most the 10 earlier sends and 7 in flight beside it went out;
    // everything else, the refused request included, waited for the pause to end.
    const before = api.log.filter((entry) => entry.time <= refusedAt).length;
    expect(before).toBeLessThanOrEqual(18);
    expect(api.log.filter((entry) => entry.time >= refusedAt + 1000).length).toBe(31 - before - during.length);
    expect(api.log.filter((entry) => entry.time >= refusedAt + 1000).length).toBeGreaterThanOrEqual(1);
    expect(api.log).toHaveLength(31);
  });

  it('treats a GitHub-style 403 with X-RateLimit-Remaining: 0 as a wait until X-RateLimit-Reset', async () => {
    const clock = createManualClock();
    const resetEpochSeconds = Math.floor(clock.now() / 1000) + 30;
    const { api, limit } = await setup({
      script: ({ index }) =>
        index === 0
          ? { status: 403, headers: { 'X-RateLimit-Limit': '60', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(resetEpochSeconds) }, body: '{"message":"API rate limit exceeded"}' }
          : undefined,
    });
    const events: SurefetchEvent[] = [];
    expect(await call(limit, `${api.url}/repos`, { clock, events })).toBe(200);
    expect(api.log.map((entry) => entry.status)).toEqual([403, 200]);
    const [wait] = waits(events);
    expect(wait?.source).toBe('x-ratelimit-reset');
    // The server's clock (its Date header) runs ahead of the manual one by the real time elapsed
    // before the answer: the reset is placed on the manual clock that much earlier, no more.
    const serverAheadMs = Date.now() - (clock.now() - clock.sleeps.reduce((sum, ms) => sum + ms, 0));
    expect((wait?.retryAt ?? 0) + serverAheadMs).toBeGreaterThanOrEqual(resetEpochSeconds * 1000);
    expect(clock.sleeps).toEqual([wait?.delayMs]);
  });

  it('waits for Retry-After on a 503, and returns a 503 without one untouched', async () => {
    const clock = createManualClock();
    const { api, limit } = await setup({
      script: ({ index }) => (index === 0 ? { status: 503, headers: { 'Retry-After': '2' } } : index === 2 ? { status: 503 } : undefined),
    });
    expect(await call(limit, `${api.url}/a`, { clock })).toBe(200);
    expect(clock.sleeps).toEqual([2000]);
    expect(await call(limit, `${api.url}/b`, { clock })).toBe(503);
    expect(api.log.map((entry) => entry.status)).toEqual([503, 200, 503]);
  });

  it('pauses 1 s after a 429 without usable headers, doubling on consecutive ones', async () => {
    const clock = createManualClock();
    const { api, limit } = await setup({ script: ({ index }) => (index < 2 ? { status: 429 } : undefined) });
    const events: SurefetchEvent[] = [];
    expect(await call(limit, `${api.url}/a`, { clock, events })).toBe(200);
    expect(clock.sleeps).toEqual([1000, 2000]);
    expect(waits(events).map((event) => event.source)).toEqual(['fallback', 'fallback']);
    expect(api.log).toHaveLength(3);
  });

  it('returns the refusal to the outer layers after maxWaits re-sends', async () => {
    const clock = createManualClock();
    const { api, limit } = await setup({ script: () => ({ status: 429, headers: { 'Retry-After': '1' } }) }, { maxWaits: 2 });
    expect(await call(limit, `${api.url}/a`, { clock })).toBe(429);
    expect(api.log).toHaveLength(3);
  });
});

describe('rateLimit: bounded and abortable waits', () => {
  it('rejects at once with a RetryLaterError carrying retryAt when the pause exceeds maxWaitMs; another call verifies it once, then calls send nothing', async () => {
    const { api, limit } = await setup({ script: () => ({ status: 429, headers: { 'Retry-After': '120' }, body: '{"message":"slow down"}' }) }, { maxWaitMs: 5000, probeIntervalMs: 100 });
    const before = Date.now();
    const first = await call(limit, `${api.url}/a`).catch((error: unknown) => error);
    expect(first).toBeInstanceOf(RetryLaterError);
    expect((first as RetryLaterError).code).toBe('RETRY_LATER');
    expect((first as RetryLaterError).retryAt).toBeGreaterThanOrEqual(before + 120_000);
    expect(((first as RetryLaterError).cause as { status?: number }).status).toBe(429);
    expect(api.log).toHaveLength(1);
    // One answer does not silence the API: the next call probes 100 ms later, and its refusal confirms the pause.
    expect(await call(limit, `${api.url}/b`).catch((error: unknown) => error)).toBeInstanceOf(RetryLaterError);
    expect(api.log).toHaveLength(2);
    expect(api.log[1]!.time - api.log[0]!.time).toBeGreaterThanOrEqual(90);
    expect(await call(limit, `${api.url}/c`).catch((error: unknown) => error)).toBeInstanceOf(RetryLaterError);
    expect(Date.now() - before).toBeLessThan(1000);
    expect(api.log).toHaveLength(2);
  });

  it("rejects a pause that would pass the call's deadline", async () => {
    const { api, limit } = await setup({ script: ({ index }) => (index === 0 ? { status: 429, headers: { 'Retry-After': '3' } } : undefined) });
    const error = await call(limit, `${api.url}/a`, { deadline: Date.now() + 1000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryLaterError);
    expect((error as RetryLaterError).reason).toBe('passes the call deadline');
    expect(api.log).toHaveLength(1);
  });

  it('rejects promptly with the abort reason when the caller aborts during a pause', async () => {
    const { api, limit } = await setup({ script: ({ index }) => (index === 0 ? { status: 429, headers: { 'Retry-After': '5' } } : undefined) });
    const first = call(limit, `${api.url}/a`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const controller = new AbortController();
    const second = call(limit, `${api.url}/b`, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('shutting down')), 50);
    const started = Date.now();
    await expect(second).rejects.toThrow('shutting down');
    expect(Date.now() - started).toBeLessThan(2000); // far from the 5 s pause it was waiting out
    expect(api.log).toHaveLength(1);
    controller.abort();
    void first.catch(() => undefined);
  });
});

describe('rateLimit: the Bottleneck behind it', () => {
  it('gates every attempt through a user-supplied Bottleneck', async () => {
    const bottleneck = new Bottleneck({ maxConcurrent: 1, minTime: 100 });
    let executed = 0;
    bottleneck.on('executing', () => {
      executed += 1;
    });
    const { api, limit } = await setup({ script: ({ index }) => (index === 1 ? { status: 429, headers: { 'Retry-After': '0' } } : undefined) }, { limiter: bottleneck });
    await Promise.all([0, 1, 2, 3].map(() => call(limit, `${api.url}/a`)));
    expect(api.log).toHaveLength(5);
    expect(executed).toBe(5);
    // minTime spaces job starts; the first request also opens the connection, so skip it.
    const gaps = api.log.slice(2).map((entry, i) => entry.time - api.log[i + 1]!.time);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(80);
    expect(api.log[4]!.time - api.log[0]!.time).toBeGreaterThanOrEqual(350);
  });

  it('caps concurrency and spacing per API with maxConcurrent and minTimeMs', async () => {
    const { api, limit } = await setup({ latencyMs: 50 }, { maxConcurrent: 2 });
    const started = Date.now();
    await Promise.all(Array.from({ length: 6 }, () => call(limit, `${api.url}/a`)));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    const response = await limit(contextFor(`${api.url}/b`), fetchNext);
    expect(response.status).toBe(200);
    await response.arrayBuffer();
  });
});
