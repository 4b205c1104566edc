/**
 * Rate-limit benchmark: 250 GETs at concurrency 16 against the emulated fulfillment API limited
 * to 50 requests per 1000 ms fixed window. For each client: wall time divided by the ideal the
 * limit allows ((ceil(250 / 50) - 1) windows), 429s received, and failed calls. The peers are
 * configured as their docs suggest for rate-limited APIs. Each client is first warmed up with 40
 * requests to an unlimited server, so no client pays the process's cold start alone. With
 * `retryAfter`, the 429s also carry `Retry-After`, the one header got reads.
 */
import got from 'got';
import ky from 'ky';
import { ofetch } from 'ofetch';
import { createFetch, rateLimit, retry } from 'surefetch';
import { startFulfillment } from '../test/emulator/fulfillment.js';
import { printTable, runPool, timed } from './harness.js';

const calls = 250;
const concurrency = 16;
const limit = { limit: 50, windowMs: 1000 };
const idealMs = (Math.ceil(calls / limit.limit) - 1) * limit.windowMs;

type GetClient = (url: string, headers: Record<string, string>) => Promise<unknown>;

// ofetch has no built-in reading of wait headers; its docs show reading them in retryDelay.
const ofetchDelay = (context: { response?: Response }): number => {
  const headers = context.response?.headers;
  const seconds = Number(headers?.get('retry-after') ?? headers?.get('ratelimit-reset') ?? 1);
  return Number.isFinite(seconds) ? seconds * 1000 : 1000;
};

/** The clients of the rate-limit benchmark; surefetch's limiter is made per run. */
export function rateLimitClients(): Array<[string, () => { get: GetClient; close?: () => Promise<void> }]> {
  return [
    [
      'surefetch (retry + rateLimit)',
      () => {
        const limiter = rateLimit();
        const sureFetch = createFetch({ middleware: [retry(), limiter] });
        return { get: async (url, headers) => (await sureFetch(url, { headers })).json(), close: () => limiter.close() };
      },
    ],
    ['ky (retry limit 5; reads Retry-After / RateLimit-Reset)', () => ({ get: (url, headers) => ky.get(url, { headers, retry: { limit: 5 } }).json() })],
    ['got (retry limit 5; reads Retry-After)', () => ({ get: (url, headers) => got.get(url, { headers, retry: { limit: 5 } }).json() })],
    ['ofetch (retry 5, retryDelay from headers)', () => ({ get: (url, headers) => ofetch(url, { headers, retry: 5, retryStatusCodes: [429, 500, 502, 503, 504], retryDelay: ofetchDelay }) })],
  ];
}

/** Runs the single-process rate-limit benchmark and returns its rows. */
export async function runRateLimitBench(options: { readonly retryAfter?: boolean } = {}): Promise<Array<Record<string, string | number>>> {
  const rows: Array<Record<string, string | number>> = [];
  for (const [name, make] of rateLimitClients()) {
    // Warm every client up the same way (JIT, connection pool) on an unlimited server first.
    const warm = await startFulfillment();
    const warmClient = make();
    await runPool(40, concurrency, (index) => warmClient.get(`${warm.url}/v1/orders/list?campaignId=warm&email=w-${index}@example.com`, { Authorization: `Bearer ${warm.apiKey}` }));
    await warmClient.close?.();
    await warm.close();
    const api = await startFulfillment({ rateLimit: { ...limit, retryAfter: options.retryAfter === true } });
    const client = make();
    const headers = { Authorization: `Bearer ${api.apiKey}` };
    const { result, ms } = await timed(() =>
      runPool(calls, concurrency, async (index) => {
        try {
          await client.get(`${api.url}/v1/orders/list?campaignId=bench&email=user-${index}@example.com`, headers);
          return true;
        } catch {
          return false;
        }
      }),
    );
    rows.push({
      client: name,
      'wall ms': ms,
      'ideal ms': idealMs,
      'wall / ideal': (ms / idealMs).toFixed(3),
      '429s received': api.stats.tooManyRequests,
      'failed calls': result.filter((ok) => !ok).length,
      requests: api.stats.requests,
    });
    await client.close?.();
    await api.close();
  }
  return rows;
}

/** One paragraph saying what the rate-limit benchmark runs. */
export function describeRateLimitBench(options: { readonly retryAfter?: boolean } = {}): string {
  const refusals = options.retryAfter === true ? '429s with RateLimit-* and Retry-After' : '429s with RateLimit-* only';
  return `${calls} GETs, concurrency ${concurrency}, server limit ${limit.limit} per ${limit.windowMs} ms fixed window, ${refusals}; ideal ${idealMs} ms\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(describeRateLimitBench());
  printTable(await runRateLimitBench());
}
