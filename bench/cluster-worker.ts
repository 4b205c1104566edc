/**
 * One worker process of the clustered rate-limit benchmark. It warms its client up on WARM_URL,
 * prints "ready", waits for "go" on stdin, sends COUNT GETs at CONCURRENCY to API_URL with the
 * shared key, and prints a JSON summary.
 *
 * env: CLIENT (surefetch | ky), API_URL, WARM_URL, API_KEY, WARM_KEY, REDIS_URL, LIMITER_ID, WORKER, COUNT, CONCURRENCY
 */
import ky from 'ky';
import { createFetch, rateLimit, retry } from 'surefetch';
import { runPool } from './harness.js';
import { rateLimitRedis } from 'surefetch/rate-limit-redis';

const env = (name: string): string => process.env[name] ?? '';
const worker = env('WORKER');
const limiter = env('CLIENT') === 'surefetch' ? rateLimit({ redis: rateLimitRedis({ url: env('REDIS_URL') }), id: env('LIMITER_ID') }) : undefined;
const sureFetch = limiter === undefined ? undefined : createFetch({ middleware: [retry(), limiter] });
const get = async (url: string, key: string): Promise<void> => {
  const headers = { Authorization: `Bearer ${key}`, 'x-worker': worker };
  if (sureFetch !== undefined) await (await sureFetch(url, { headers })).arrayBuffer();
  else await ky.get(url, { headers, retry: { limit: 5 } }).arrayBuffer();
};

await runPool(20, Number(env('CONCURRENCY')), (index) => get(`${env('WARM_URL')}/v1/orders/list?campaignId=warm&email=w${index}@x.y`, env('WARM_KEY')));
process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
let failed = 0;
await runPool(Number(env('COUNT')), Number(env('CONCURRENCY')), (index) =>
  get(`${env('API_URL')}/v1/orders/list?campaignId=bench&email=${worker}-${index}@x.y`, env('API_KEY')).catch(() => {
    failed += 1;
  }),
);
// The last answer is the end of the work; closing the Redis link after it is not (ky has none).
const finishedAt = Date.now();
await limiter?.close();
process.stdout.write(`${JSON.stringify({ worker, failed, finishedAt })}\n`);
process.exit(0);
