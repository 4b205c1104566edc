/**
 * One job-worker process of the crash benchmark. It builds the client named by CLIENT, says
 * `ready` over IPC, then runs each job the parent sends (one order create) and answers
 * `{ index, ok }`, with the error's `retryAt` (seen through wrapping) when a job failed. The
 * parent SIGKILLs it at random moments.
 *
 * env: CLIENT (surefetch | a peer name of creates-peers.ts), REDIS_URL, NAMESPACE, and
 * BENCH_CRASH_DEBUG (any value: log each job's start, end and error to stderr), BENCH_CRASH_ALIVE_MS
 */
import { byRoute, createFetch, fulfillmentOrders, idempotency, retry, retryAtOf } from 'surefetch';
import { redisStore } from 'surefetch/redis';
import { attemptTimeoutMs, type CreateClient } from './creates-peers.js';
import * as peers from './creates-peers.js';

/** A job as the parent sends it. */
export interface CrashJob {
  readonly index: number;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly scope: string;
}

const env = (name: string): string => process.env[name] ?? '';
// BENCH_CRASH_ALIVE_MS sets ownerAliveMs (the default, 2000, when unset): how soon a killed worker's scope is taken over.
const aliveOption = env('BENCH_CRASH_ALIVE_MS') === '' ? {} : { ownerAliveMs: Number(env('BENCH_CRASH_ALIVE_MS')) };

async function makeClient(name: string): Promise<CreateClient> {
  if (name !== 'surefetch') return (peers as unknown as Record<string, CreateClient>)[name] ?? peers.naivePRetry;
  const store = redisStore({ url: env('REDIS_URL'), namespace: env('NAMESPACE') });
  // A worker connects to its store when it starts, not on its first job.
  await store.get('warm-up');
  const sureFetch = createFetch({ middleware: [idempotency({ store, existenceCheck: byRoute(fulfillmentOrders()), ...aliveOption }), retry()], attemptTimeoutMs });
  return async (url, headers, body, scope) => (await sureFetch(url, { method: 'POST', headers, body, surefetch: { idempotencyScope: scope } })).json();
}

const create = await makeClient(env('CLIENT'));
// After a disconnect (the run is over) there is nobody to answer.
const reply = (message: object): void => {
  if (process.connected) process.send?.(message);
};
const debug = env('BENCH_CRASH_DEBUG') !== '';
process.on('message', (job: CrashJob) => {
  const startedAt = Date.now();
  if (debug) void Promise.resolve().then(() => console.error(`${startedAt % 100000} job ${job.index} start`));
  create(job.url, job.headers, job.body, job.scope).then(
    () => {
      if (debug) console.error(`${Date.now() % 100000} job ${job.index} ok in ${Date.now() - startedAt} ms`);
      reply({ index: job.index, ok: true });
    },
    (error: unknown) => {
      if (debug) console.error(`${Date.now() % 100000} job ${job.index}: ${(error as { code?: string }).code ?? ''} ${String(error)}`.slice(0, 300));
      reply({ index: job.index, ok: false, retryAt: retryAtOf(error) });
    },
  );
});
process.on('disconnect', () => process.exit(0));
process.on('error', () => undefined);
reply({ ready: true });
