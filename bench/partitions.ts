/**
 * Partition benchmark: a GitHub-like API whose `search` partition is exhausted for an hour
 * (429 with `X-RateLimit-Remaining: 0`, `X-RateLimit-Reset` an hour ahead and
 * `X-RateLimit-Resource: search`; in the second variant also `Retry-After: 3600`), while the
 * `core` partition has budget to spare. 100 core GETs at concurrency 8 run beside 6 search GETs
 * at concurrency 2. For each client: how long the core calls took and whether any failed (a
 * client that let search's hour hold core would show it), and how the search calls ended:
 * failed calls, requests sent, time until all had settled. The peers retry twice here (their
 * backoff on an hour-long refusal would otherwise run for minutes), with waits capped where
 * they allow it.
 */
import got from 'got';
import ky from 'ky';
import { ofetch } from 'ofetch';
import { createFetch, rateLimit, retry } from 'surefetch';
import { startRateLimitServer, type ScriptedReply } from '../test/rate-limit-server.js';
import { printTable, runPool, timed } from './harness.js';

const coreCalls = 100;
const searchCalls = 6;
const HOUR_S = 3600;

type GetClient = (url: string) => Promise<unknown>;

function partitionedApi(retryAfter: boolean): (request: { path: string }) => ScriptedReply {
  let coreLeft = 5000;
  return ({ path }) => {
    const reset = String(Math.floor(Date.now() / 1000) + HOUR_S);
    if (path.startsWith('/search')) {
      const headers = { 'x-ratelimit-limit': '30', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset, 'x-ratelimit-resource': 'search' };
      return { status: 429, headers: retryAfter ? { ...headers, 'retry-after': String(HOUR_S) } : headers, body: '{"message":"API rate limit exceeded"}' };
    }
    coreLeft -= 1;
    return { status: 200, headers: { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': String(coreLeft), 'x-ratelimit-reset': reset, 'x-ratelimit-resource': 'core' }, body: '{"ok":true}' };
  };
}

function clients(): Array<[string, () => { get: GetClient; close?: () => Promise<void> }]> {
  return [
    [
      'surefetch (retry + rateLimit)',
      () => {
        const limiter = rateLimit();
        const sureFetch = createFetch({ middleware: [retry(), limiter] });
        return { get: async (url) => (await sureFetch(url)).json(), close: () => limiter.close() };
      },
    ],
    ['ky (retry limit 2, maxRetryAfter 1000)', () => ({ get: (url) => ky.get(url, { retry: { limit: 2, maxRetryAfter: 1000 } }).json() })],
    ['got (retry limit 2, maxRetryAfter 60000)', () => ({ get: (url) => got.get(url, { retry: { limit: 2, maxRetryAfter: 60_000 } }).json() })],
    ['ofetch (retry 2, retryDelay 1000)', () => ({ get: (url) => ofetch(url, { retry: 2, retryStatusCodes: [429, 500, 502, 503, 504], retryDelay: 1000 }) })],
  ];
}

/** Runs the partition benchmark (both variants) and returns its rows. */
export async function runPartitionBench(): Promise<Array<Record<string, string | number>>> {
  const rows: Array<Record<string, string | number>> = [];
  for (const retryAfter of [false, true]) {
    for (const [name, make] of clients()) {
      const warm = await startRateLimitServer();
      const warmClient = make();
      await runPool(40, 8, () => warmClient.get(`${warm.url}/warm`));
      await warmClient.close?.();
      await warm.close();
      const api = await startRateLimitServer({ script: partitionedApi(retryAfter) });
      const client = make();
      const attempt = (url: string) => client.get(url).then(() => true, () => false);
      const [core, search] = await Promise.all([
        timed(() => runPool(coreCalls, 8, (index) => attempt(`${api.url}/repos/o/r/issues/${index}`))),
        timed(() => runPool(searchCalls, 2, () => attempt(`${api.url}/search/code?q=x`))),
      ]);
      rows.push({
        client: name,
        '429s carry': retryAfter ? 'Retry-After + X-RateLimit' : 'X-RateLimit only',
        'core wall ms': core.ms,
        'core failed': core.result.filter((ok) => !ok).length,
        'search failed': search.result.filter((ok) => !ok).length,
        'search requests': api.log.filter((entry) => entry.path.startsWith('/search')).length,
        'search settled ms': search.ms,
      });
      await client.close?.();
      await api.close();
    }
  }
  return rows;
}

/** One paragraph saying what the partition benchmark runs. */
export function describePartitionBench(): string {
  return `${coreCalls} core GETs (concurrency 8) beside ${searchCalls} search GETs (concurrency 2); search is exhausted for an hour, core has budget\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(describePartitionBench());
  printTable(await runPartitionBench());
}
