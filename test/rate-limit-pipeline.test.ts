import { afterEach, describe, expect, it } from 'vitest';
import { createFetch } from '../src/pipeline/create-fetch.js';
import { RetryLaterError } from '../src/errors/errors.js';
import type { SurefetchEvent } from '../src/core/events.js';
import { rateLimit } from '../src/rate-limit/middleware.js';
import { retry } from '../src/retry/retry.js';
import { startFulfillment } from './emulator/index.js';
import { pool } from './rate-limit-harness.js';
import { startRateLimitServer } from './rate-limit-server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

describe('rateLimit inside createFetch + retry', () => {
  it('sends 250 GETs at concurrency 16 to the emulated fulfillment API (50 per 1000 ms) with at most one 429, near the ideal time', async () => {
    const api = await startFulfillment({ rateLimit: { limit: 50, windowMs: 1000 } });
    const limit = rateLimit();
    cleanups.push(() => api.close(), () => limit.close());
    const sureFetch = createFetch({ middleware: [retry(), limit] });
    const started = Date.now();
    const statuses = await pool(250, 16, async () => {
      const response = await sureFetch(`${api.url}/v1/orders/list`, { headers: { Authorization: `Bearer ${api.apiKey}` } });
      await response.arrayBuffer();
      return response.status;
    });
    const elapsedMs = Date.now() - started;
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(api.stats.tooManyRequests).toBeLessThanOrEqual(1);
    // 250 requests = 5 windows; the fifth opens 4000 ms after the first.
    const idealMs = 4000;
    expect(elapsedMs).toBeGreaterThanOrEqual(idealMs);
    console.info(`[rate-limit-pipeline] 250 GETs, 50/1000 ms, concurrency 16: ${elapsedMs} ms, ratio ${(elapsedMs / idealMs).toFixed(3)} to the ideal ${idealMs} ms, 429s: ${api.stats.tooManyRequests}`);
  }, 15_000);

  it('hands a wait beyond maxWaitMs to the caller as a RetryLaterError through retry, with a wait verdict on its cause', async () => {
    const api = await startRateLimitServer({ script: () => ({ status: 429, headers: { 'RateLimit-Remaining': '0', 'RateLimit-Reset': '600' } }) });
    const limit = rateLimit({ maxWaitMs: 30_000 });
    cleanups.push(() => api.close(), () => limit.close());
    const events: SurefetchEvent[] = [];
    const sureFetch = createFetch({ middleware: [retry(), limit], onEvent: (event) => events.push(event) });
    const error = await sureFetch(`${api.url}/v1/orders/list`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryLaterError);
    expect((error as RetryLaterError).retryAt).toBeGreaterThan(Date.now() + 590_000);
    expect(((error as RetryLaterError).cause as { verdict?: string }).verdict).toBe('wait');
    expect(api.log).toHaveLength(1);
    expect(events.some((event) => event.type === 'give-up')).toBe(true);
  });
});
