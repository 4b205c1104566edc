/**
 * One worker process of the clustered rate-limit test: waits for a common start time, sends
 * COUNT GETs at CONCURRENCY through `rateLimit({ redis })`, prints a JSON summary on stdout.
 *
 * env: API_URL, REDIS_URL, WORKER, COUNT, CONCURRENCY, START_AT (epoch ms), LIMITER_ID
 */
import { rateLimit } from '../src/rate-limit/middleware.js';
import { rateLimitRedis } from '../src/rate-limit-redis.js';
import { contextFor, fetchNext, pool } from './rate-limit-harness.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`missing env ${name}`);
  return value;
};

const worker = env('WORKER');
const limit = rateLimit({ redis: rateLimitRedis({ url: env('REDIS_URL') }), id: env('LIMITER_ID') });
const statuses: Record<string, number> = {};
const errors: string[] = [];

await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(env('START_AT')) - Date.now())));
const started = Date.now();
await pool(Number(env('COUNT')), Number(env('CONCURRENCY')), async () => {
  try {
    const ctx = contextFor(`${env('API_URL')}/v1/orders/list`, { headers: { 'x-api-key': 'shared-key', 'x-worker': worker } });
    const response = await limit(ctx, fetchNext);
    await response.arrayBuffer();
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
  } catch (error) {
    errors.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  }
});
const elapsedMs = Date.now() - started;
await limit.close();
process.stdout.write(`${JSON.stringify({ worker, statuses, errors, elapsedMs })}\n`);
