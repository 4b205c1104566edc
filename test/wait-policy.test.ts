import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../src/core/clock.js';
import { circuitBreaker } from '../src/retry/circuit-breaker.js';
import { createFetch, type CreateFetchOptions, type SurefetchInit } from '../src/pipeline/create-fetch.js';
import { RetryLaterError } from '../src/errors/errors.js';
import { rateLimit } from '../src/rate-limit/middleware.js';
import { retry } from '../src/retry/retry.js';
import { startRateLimitServer, type RateLimitServer, type RateLimitServerOptions } from './rate-limit-server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function server(options: RateLimitServerOptions): Promise<RateLimitServer> {
  const api = await startRateLimitServer(options);
  cleanups.push(() => api.close());
  return api;
}

async function outcome(options: CreateFetchOptions, url: string, init?: SurefetchInit): Promise<number | unknown> {
  try {
    const response = await createFetch(options)(url, init);
    await response.arrayBuffer();
    return response.status;
  } catch (error) {
    return error;
  }
}

const limiter = (options: Parameters<typeof rateLimit>[0] = {}): ReturnType<typeof rateLimit> => {
  const limit = rateLimit(options);
  cleanups.push(() => limit.close());
  return limit;
};

describe('one wait policy per call: maxWaitMs set once bounds every layer', () => {
  it('retry: a backoff longer than maxWaitMs rejects at once with a RetryLaterError that names the backoff', async () => {
    const clock = createManualClock();
    const api = await server({ script: () => ({ status: 503 }) });
    const middleware = [retry({ baseDelayMs: 5000, maxDelayMs: 5000 })];
    const error = await outcome({ middleware, clock, random: () => 0.99, maxWaitMs: 1000 }, `${api.url}/a`);
    expect(error).toBeInstanceOf(RetryLaterError);
    expect((error as Error).message).toMatch(/: retry's backoff of \d+ ms, which exceeds maxWaitMs 1000; retry at /);
    expect(clock.sleeps.filter((ms) => ms > 1000)).toEqual([]);
    expect(api.log).toHaveLength(1);
  });

  it('retry: a Retry-After longer than maxWaitMs rejects at once, and the call may allow more', async () => {
    const clock = createManualClock();
    const api = await server({ script: ({ index }) => (index < 2 ? { status: 503, headers: { 'Retry-After': '2' } } : undefined) });
    const options = { middleware: [retry()], clock, maxWaitMs: 1500 };
    const error = await outcome(options, `${api.url}/a`);
    expect(error).toBeInstanceOf(RetryLaterError);
    expect((error as Error).message).toContain('GET /a: the server asked to wait 2000 ms, which exceeds maxWaitMs 1500');
    expect(clock.sleeps).toEqual([]);
    expect(await outcome(options, `${api.url}/a`, { surefetch: { maxWaitMs: 3000 } })).toBe(200);
    expect(clock.sleeps).toEqual([2000]);
  });

  it('rateLimit: a refusal longer than maxWaitMs rejects at once instead of sleeping inside the call', async () => {
    const clock = createManualClock();
    const api = await server({ script: ({ index }) => (index === 0 ? { status: 429, headers: { 'Retry-After': '2' } } : undefined) });
    const error = await outcome({ middleware: [retry(), limiter()], clock, maxWaitMs: 1500 }, `${api.url}/a`);
    expect(error).toBeInstanceOf(RetryLaterError);
    expect((error as RetryLaterError).retryAt).toBeGreaterThanOrEqual(clock.now() + 1000);
    expect(clock.sleeps).toEqual([]);
  });

  it('retry({ maxWaitMs }) bounds the rateLimit inside it too', async () => {
    const clock = createManualClock();
    const api = await server({ script: ({ index }) => (index === 0 ? { status: 429, headers: { 'Retry-After': '2' } } : undefined) });
    const error = await outcome({ middleware: [retry({ maxWaitMs: 1500 }), limiter()], clock }, `${api.url}/a`);
    expect(error).toBeInstanceOf(RetryLaterError);
    expect(clock.sleeps).toEqual([]);
  });

  it("rateLimit: a hold on the API's budget longer than maxWaitMs never sleeps past it", async () => {
    const clock = createManualClock();
    const api = await server({ script: () => ({ status: 200, headers: { 'RateLimit-Limit': '1', 'RateLimit-Remaining': '0', 'RateLimit-Reset': '5' } }) });
    const options = { middleware: [retry(), limiter({ probeIntervalMs: 1000 })], clock, maxWaitMs: 1500 };
    expect(await outcome(options, `${api.url}/a`)).toBe(200);
    const second = await outcome(options, `${api.url}/b`);
    const third = await outcome(options, `${api.url}/c`);
    expect([second, third].some((result) => result instanceof RetryLaterError)).toBe(true);
    expect(clock.sleeps.filter((ms) => ms > 1500)).toEqual([]);
  });

  it("rateLimit: the limiter's queue is left after maxWaitMs with a RetryLaterError that names the queue", async () => {
    const api = await server({ latencyMs: 1500 });
    const options = { middleware: [retry(), limiter({ maxConcurrent: 1 })], maxWaitMs: 300 };
    const started = Date.now();
    const [first, second] = await Promise.all([outcome(options, `${api.url}/slow`), outcome(options, `${api.url}/queued`)]);
    expect(first).toBe(200);
    expect(second).toBeInstanceOf(RetryLaterError);
    expect((second as Error).message).toMatch(/^GET \/queued: waited \d+ ms, which exceeds maxWaitMs 300 \(queued behind the limiter\); retry at /);
    expect(api.log.map((entry) => entry.path)).toEqual(['/slow']);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("circuitBreaker: waiting for a half-open probe's outcome is left after maxWaitMs with a RetryLaterError that names the probe", async () => {
    let slow = false;
    const api = await server({ script: ({ index }) => (index < 2 ? { status: 500 } : undefined), latencyMs: 0 });
    const breaker = circuitBreaker({ failureThreshold: 2, halfOpenAfterMs: 50 });
    const fetchSlowly: typeof fetch = async (input, init) => {
      if (slow) await new Promise((resolve) => setTimeout(resolve, 1500));
      return fetch(input, init);
    };
    const options = { middleware: [breaker], fetch: fetchSlowly, maxWaitMs: 300, throwHttpErrors: false };
    expect(await outcome(options, `${api.url}/a`)).toBe(500);
    expect(await outcome(options, `${api.url}/a`)).toBe(500);
    await new Promise((resolve) => setTimeout(resolve, 60));
    slow = true;
    const probe = outcome(options, `${api.url}/probe`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    const waiting = await outcome(options, `${api.url}/waiting`);
    expect(waiting).toBeInstanceOf(RetryLaterError);
    expect((waiting as Error).message).toMatch(/^GET \/waiting: waited \d+ ms, which exceeds maxWaitMs 300 \(waiting for the circuit's probe\); retry at /);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await probe).toBe(200);
  });

  // Not the server's wait: the message must not say the server asked for one.
  it.each([
    ['maxWaitMs', { maxWaitMs: 300 }, {}, 'exceeds maxWaitMs 300'],
    ['the deadline', {}, { surefetch: { deadlineMs: 300 } }, 'passes the call deadline'],
  ] as const)("rateLimit: a send held behind a new API's first answer past %s rejects with a RetryLaterError that says so", async (_, bound, init, reason) => {
    const api = await server({ latencyMs: 1500 });
    const options = { middleware: [limiter()], ...bound };
    const started = Date.now();
    const [first, second] = await Promise.all([outcome(options, `${api.url}/orders`), outcome(options, `${api.url}/orders`, init)]);
    expect(first).toBe(200);
    expect(second).toBeInstanceOf(RetryLaterError);
    expect((second as RetryLaterError).reason).toBe(`${reason} (waiting for a probe's answer)`);
    expect((second as Error).message).toMatch(/^GET \/orders: waited \d+ ms, which (exceeds maxWaitMs 300|passes the call deadline) \(waiting for a probe's answer\); retry at /);
    expect((second as Error).message).not.toContain('server asked');
    expect(api.log).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
  });
});

describe('one wait policy per call: re-send limits do not multiply', () => {
  it('a refusal rateLimit gave up on after maxWaits re-sends is not sent again by retry', async () => {
    const clock = createManualClock();
    const api = await server({ script: () => ({ status: 429, headers: { 'Retry-After': '1' } }) });
    const error = await outcome({ middleware: [retry({ maxAttempts: 4, maxWaits: 5 }), limiter({ maxWaits: 2 })], clock }, `${api.url}/a`);
    expect((error as { status?: number }).status).toBe(429);
    expect(api.log).toHaveLength(3); // the first send and rateLimit's 2 re-sends; retry adds none
  });
});

describe('one count of sends per call: retry and rateLimit re-send within one maxAttempts', () => {
  const epochSecondsAgo = (seconds: number): string => String(Math.floor(Date.now() / 1000) - seconds);
  const faults: ReadonlyArray<readonly [string, (index: number) => { status: number; headers?: Record<string, string> }]> = [
    ['429 with a reset time in the past', () => ({ status: 429, headers: { 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': epochSecondsAgo(30) } })],
    ['429 with Retry-After: 0', () => ({ status: 429, headers: { 'Retry-After': '0' } })],
    ['503 without Retry-After', () => ({ status: 503 })],
    ['503 with Retry-After: 0', () => ({ status: 503, headers: { 'Retry-After': '0' } })],
    ['503 and 429 with a past reset, alternating', (index) => (index % 2 === 0 ? { status: 503 } : { status: 429, headers: { 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': epochSecondsAgo(5) } })],
  ];

  it.each(faults)('%s: through retry({ maxAttempts: 3 }) and rateLimit(), no call sends more than 3 times, however the layers re-send', async (_, fault) => {
    // A real clock: calls waiting for a slow start's probe poll it, and a manual clock would spin them.
    const api = await server({ script: ({ index }) => fault(index) });
    const middleware = [retry({ maxAttempts: 3, baseDelayMs: 20, fallbackWaitMs: 20 }), limiter({ fallbackWaitMs: 20 })];
    const sureFetch = createFetch({ middleware, maxWaitMs: 1000 });
    const paths = ['/orders', '/invoices', '/customers', '/refunds'];
    const outcomes = await Promise.all(paths.map((path) => sureFetch(`${api.url}${path}`).then((response) => response.status, (error: unknown) => error)));
    const sends = paths.map((path) => api.log.filter((entry) => entry.path === path).length);
    expect(Math.max(...sends)).toBe(3);
    for (const outcome of outcomes) expect(outcome instanceof RetryLaterError || [429, 503].includes((outcome as { status?: number }).status ?? 0)).toBe(true);
  });
});
