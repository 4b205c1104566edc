/**
 * A worker killed while its create is out: the API has the request and acts on it late (it waits
 * behind a busy worker, test/hostile/late-reader.ts), after the dead worker's heartbeat has
 * lapsed and another worker has taken the scope over. The dead worker never heard back, so its
 * send may still land: the worker taking over must not believe "absent" from reads made before
 * the send's lifetime is over, counted from the takeover (the dead worker may have sent it up to
 * its last moment). Real child processes, SIGKILLed, on Redis, PostgreSQL and SQLite.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createFetch, idempotency, retry, RetryLaterError } from '../src/index.js';
import { postgresStore } from '../src/store/postgres-store.js';
import { redisStore } from '../src/store/redis-store.js';
import { sqliteStore } from '../src/store/sqlite-store.js';
import { sqliteDir } from './support/sqlite-drivers.js';
import { lateItemsCheck, postItem, startLateReader, type LateReader } from './hostile/late-reader.js';
import { postgresForTests, redisForTests } from './support/services.js';
import { uniqueNamespace } from './support/store-contract.js';
import { killWorkerWhen } from './support/kill-worker.js';

const redis = await redisForTests();
if (redis.skipReason) console.warn(`Crash-in-flight test on Redis skipped: ${redis.skipReason}`);
const postgres = await postgresForTests();
if (postgres.skipReason) console.warn(`Crash-in-flight test on PostgreSQL skipped: ${postgres.skipReason}`);
const backends = [
  { name: 'Redis', store: 'redis', url: redis.url, open: (url: string, namespace: string) => redisStore({ url, namespace }) },
  { name: 'PostgreSQL', store: 'postgres', url: postgres.url, open: (url: string, namespace: string) => postgresStore({ url, namespace }) },
  // One file every worker process shares (the driver that loads: better-sqlite3 on Node 20, node:sqlite on 22).
  { name: 'SQLite', store: 'sqlite', url: join(sqliteDir(), 'jobs.db'), open: (path: string, namespace: string) => sqliteStore({ path, namespace }) },
] as const;
const child = fileURLToPath(new URL('./support/late-create-child.ts', import.meta.url));
const attemptMs = 1000;
const aliveMs = 300;

let api: LateReader | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** Runs the worker and SIGKILLs it as soon as the API has its create (before the answer). */
function killWhileInFlight(env: Record<string, string>, reader: LateReader): Promise<void> {
  return killWorkerWhen(child, env, () => reader.postTimes.length > 0);
}

describe.each(backends)('a worker killed with its create in flight, on $name', (backend) => {
  it.skipIf(!backend.url)('the worker taking over waits out the send before it believes "absent": one item, one POST', async () => {
    // The dead worker's create lands 1.5 s after it arrived: after the takeover (~0.3 s) and its settle reads.
    api = await startLateReader((n) => (n === 1 ? 1500 : 0));
    const namespace = uniqueNamespace();
    const env = { STORE: backend.store, STORE_URL: backend.url ?? '', NAMESPACE: namespace, API_URL: api.url, SCOPE: 'job-1:create-item', ALIVE_MS: String(aliveMs), ATTEMPT_MS: String(attemptMs) };
    await killWhileInFlight(env, api);
    const store = backend.open(backend.url ?? '', namespace);
    try {
      const left = await store.get('job-1:create-item');
      const sureFetch = createFetch({
        middleware: [idempotency({ store, ownerAliveMs: aliveMs, waitForOwnerMs: 5000, pollMs: 25, existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 1 })],
        attemptTimeoutMs: attemptMs,
      });
      const response = await postItem(sureFetch, api.url, 'job-1:create-item');
      expect(((await response.json()) as { id: string }).id).toBe('item_1');
      expect([api.postTimes.length, api.items.length]).toEqual([1, 1]);
      expect(left?.inFlight?.timeoutMs).toBe(attemptMs);
      const settled = await store.get('job-1:create-item');
      expect(settled?.state).toBe('succeeded');
      expect(settled?.inFlight).toBeUndefined();
    } finally {
      await store.close();
    }
  }, 30_000);

  it.skipIf(!backend.url)('a takeover that may not wait that long: RetryLaterError, nothing sent; the re-run at retryAt finds the item', async () => {
    api = await startLateReader((n) => (n === 1 ? 1500 : 0));
    const namespace = uniqueNamespace();
    const env = { STORE: backend.store, STORE_URL: backend.url ?? '', NAMESPACE: namespace, API_URL: api.url, SCOPE: 'job-2:create-item', ALIVE_MS: String(aliveMs), ATTEMPT_MS: String(attemptMs) };
    await killWhileInFlight(env, api);
    // The re-run comes after the dead worker's heartbeat lapsed (a job queue's retry), so it takes over at once.
    await new Promise((resolve) => setTimeout(resolve, 2 * aliveMs));
    const store = backend.open(backend.url ?? '', namespace);
    try {
      const middleware = [idempotency({ store, ownerAliveMs: aliveMs, waitForOwnerMs: 5000, pollMs: 25, existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 1 })];
      const hurried = createFetch({ middleware, attemptTimeoutMs: attemptMs, maxWaitMs: 200 });
      const refused = await postItem(hurried, api.url, 'job-2:create-item').catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(RetryLaterError);
      expect(api.postTimes.length).toBe(1);
      const { retryAt } = refused as RetryLaterError;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, retryAt - Date.now())));
      const rerun = await postItem(createFetch({ middleware, attemptTimeoutMs: attemptMs }), api.url, 'job-2:create-item');
      expect(((await rerun.json()) as { id: string }).id).toBe('item_1');
      expect([api.postTimes.length, api.items.length]).toEqual([1, 1]);
    } finally {
      await store.close();
    }
  }, 30_000);
});
