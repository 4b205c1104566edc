import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../src/core/clock.js';
import { createFetch } from '../src/pipeline/create-fetch.js';
import type { SurefetchEvent, WaitEvent } from '../src/core/events.js';
import { rateLimit } from '../src/rate-limit/middleware.js';
import { retry } from '../src/retry/retry.js';
import { call, pool } from './rate-limit-harness.js';
import { startRateLimitServer, type ScriptedReply } from './rate-limit-server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

const httpDateIn = (ms: number): string => new Date(Date.now() + ms).toUTCString();

// Each endpoint refuses its first request in its own way; none names more than 2 s.
const refusals: Record<string, () => ScriptedReply> = {
  '/garbage': () => ({ status: 429, headers: { 'Retry-After': 'soon' } }),
  '/negative': () => ({ status: 429, headers: { 'Retry-After': '-1' } }),
  '/date': () => ({ status: 503, headers: { 'Retry-After': httpDateIn(2000) } }),
  '/epoch': () => ({ status: 429, headers: { 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(Math.floor((Date.now() + 2000) / 1000)) } }),
  '/huge-500': () => ({ status: 500, headers: { 'content-type': 'text/html' }, body: `<html><body>${'x'.repeat(2_000_000)}</body></html>` }),
};

describe('rateLimit: pauses do not compound', () => {
  it.each([
    ['all at once', 25],
    ['five at a time', 5],
  ])('refusals on five endpoints, each answered once (%s): no call waits much longer than the longest wait named', async (_name, concurrency) => {
    const refused = new Set<string>();
    const api = await startRateLimitServer({
      script: ({ path }) => {
        const refusal = refusals[path];
        if (refusal === undefined || refused.has(path)) return undefined;
        refused.add(path);
        return refusal();
      },
    });
    const limit = rateLimit();
    cleanups.push(() => api.close(), () => limit.close());
    const sureFetch = createFetch({ middleware: [retry({ baseDelayMs: 100 }), limit] });
    const paths = Object.keys(refusals);
    const durations = await pool(25, concurrency, async (index) => {
      const started = Date.now();
      const response = await sureFetch(`${api.url}${paths[index % paths.length]}`);
      await response.arrayBuffer();
      return Date.now() - started;
    });
    // The longest named wait: a 2 s date plus the 1 s skew margin; then one backoff step (1 s fallback).
    expect(Math.max(...durations)).toBeLessThan(3000 + 1000 + 500);
    console.info(`[rate-limit-compound] ${concurrency} at a time: slowest call ${Math.max(...durations)} ms`);
  });

  it('escalates the fallback only on consecutive refusals of the same endpoint', async () => {
    const clock = createManualClock();
    const refusalsLeft: Record<string, number> = { '/a': 2, '/b': 1 };
    const api = await startRateLimitServer({
      script: ({ path }) => ((refusalsLeft[path] = (refusalsLeft[path] ?? 0) - 1) >= 0 ? { status: 429 } : undefined),
    });
    const limit = rateLimit();
    cleanups.push(() => api.close(), () => limit.close());
    const events: SurefetchEvent[] = [];
    expect(await call(limit, `${api.url}/a`, { clock, events })).toBe(200); // refused twice: 1 s, then 2 s
    expect(await call(limit, `${api.url}/b`, { clock, events })).toBe(200); // another endpoint, refused once: 1 s
    expect(clock.sleeps).toEqual([1000, 2000, 1000]);
  });
});

describe('rateLimit: several Retry-After values', () => {
  it.each([
    ['two field lines', { 'Retry-After': ['1', '3'] }, 3000],
    ['two values in one line', { 'Retry-After': '3, 1' }, 3000],
    ['a garbage line and a valid one', { 'Retry-After': ['soon', '2'] }, 2000],
  ])('waits for the latest instant named: %s', async (_name, headers, expectedMs) => {
    const clock = createManualClock();
    const api = await startRateLimitServer({ script: ({ index }) => (index === 0 ? { status: 429, headers } : undefined) });
    const limit = rateLimit();
    cleanups.push(() => api.close(), () => limit.close());
    const events: SurefetchEvent[] = [];
    expect(await call(limit, `${api.url}/a`, { clock, events })).toBe(200);
    expect(clock.sleeps).toEqual([expectedMs]);
    expect(events.filter((event): event is WaitEvent => event.type === 'wait').map((event) => event.source)).toEqual(['retry-after']);
  });

  it('falls back when every Retry-After value is unparseable', async () => {
    const clock = createManualClock();
    const api = await startRateLimitServer({ script: ({ index }) => (index === 0 ? { status: 429, headers: { 'Retry-After': ['soon', '-3'] } } : undefined) });
    const limit = rateLimit();
    cleanups.push(() => api.close(), () => limit.close());
    expect(await call(limit, `${api.url}/a`, { clock })).toBe(200);
    expect(clock.sleeps).toEqual([1000]);
  });
});
