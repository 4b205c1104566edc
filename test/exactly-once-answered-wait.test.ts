/**
 * A send the API answered is not out: the record stops holding it "in flight" as the answer
 * comes, not when the call ends. Before, a worker killed in retry's backoff after an answered
 * 500 left its send in flight in the record, and the worker taking over waited out that send's
 * whole lifetime (twice the attempt timeout) before believing "absent". And a send that follows
 * without consulting the existence check (a re-send after a 429) is recorded before it leaves.
 * Real child processes, SIGKILLed, on Redis and PostgreSQL; a real local server.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createFetch, idempotency, memoryStore, rateLimit, retry, StoreUnavailableError, type RequestStore } from '../src/index.js';
import { postgresStore } from '../src/store/postgres-store.js';
import { redisStore } from '../src/store/redis-store.js';
import { lateItemsCheck, postItem, startLateReader, type LateReader } from './hostile/late-reader.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';
import { postgresForTests, redisForTests } from './support/services.js';
import { uniqueNamespace } from './support/store-contract.js';
import { killWorkerWhen } from './support/kill-worker.js';

const redis = await redisForTests();
if (redis.skipReason) console.warn(`Answered-wait crash test on Redis skipped: ${redis.skipReason}`);
const postgres = await postgresForTests();
if (postgres.skipReason) console.warn(`Answered-wait crash test on PostgreSQL skipped: ${postgres.skipReason}`);
const backends = [
  { name: 'Redis', store: 'redis', url: redis.url, open: (url: string, namespace: string) => redisStore({ url, namespace }) },
  { name: 'PostgreSQL', store: 'postgres', url: postgres.url, open: (url: string, namespace: string) => postgresStore({ url, namespace }) },
] as const;
const child = fileURLToPath(new URL('./support/late-create-child.ts', import.meta.url));
const attemptMs = 4000;
const aliveMs = 300;

let api: LateReader | undefined;
let server: HostileServer | undefined;
afterEach(async () => {
  await Promise.all([api?.close(), server?.close()]);
  api = undefined;
  server = undefined;
});

/** Runs the worker and SIGKILLs it `afterMs` after the API answered its first create. */
function killInBackoff(env: Record<string, string>, reader: LateReader, afterMs: number): Promise<void> {
  return killWorkerWhen(child, env, () => {
    const first = reader.postTimes[0];
    return first !== undefined && Date.now() - first >= afterMs;
  }, 5);
}

describe.each(backends)('a worker killed in the backoff after an answered 500, on $name', (backend) => {
  it.skipIf(!backend.url)('its record holds no send in flight, and the worker taking over checks and re-sends within maxWaitMs: one item', async () => {
    // The first create is answered 500 at once and not committed; the worker then waits 10 s.
    api = await startLateReader(() => 0, (n) => n === 1);
    const namespace = uniqueNamespace();
    const env = { STORE: backend.store, STORE_URL: backend.url ?? '', NAMESPACE: namespace, API_URL: api.url, SCOPE: 'job-1:create-item', ALIVE_MS: String(aliveMs), ATTEMPT_MS: String(attemptMs), RETRY_BASE_MS: '20000' };
    await killInBackoff(env, api, 500);
    const store = backend.open(backend.url ?? '', namespace);
    try {
      const left = await store.get('job-1:create-item');
      // The dead worker's send had its answer: nothing to wait out (its lifetime would be 8 s).
      const sureFetch = createFetch({
        middleware: [idempotency({ store, ownerAliveMs: aliveMs, waitForOwnerMs: 5000, pollMs: 25, existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 1 })],
        attemptTimeoutMs: attemptMs,
        maxWaitMs: 2500,
      });
      const response = await postItem(sureFetch, api.url, 'job-1:create-item').catch((error: unknown) => error);
      expect(response).toBeInstanceOf(Response);
      expect((response as Response).status).toBe(201);
      expect([api.postTimes.length, api.items.length]).toEqual([2, 1]);
      expect([left?.state, left?.attempts, left?.inFlight]).toEqual(['pending', 1, undefined]);
      expect((await store.get('job-1:create-item'))?.state).toBe('succeeded');
    } finally {
      await store.close();
    }
  }, 30_000);
});

/** A memory store whose `update` can be made to fail, and that keeps what each `update` wrote. */
function observedStore(): RequestStore & { failUpdates: boolean } {
  const inner = memoryStore();
  const store = {
    failUpdates: false,
    claim: inner.claim.bind(inner),
    get: inner.get.bind(inner),
    update: (...args: Parameters<RequestStore['update']>) => (store.failUpdates ? Promise.reject(new Error('disk full')) : inner.update(...args)),
    delete: inner.delete.bind(inner),
    close: inner.close.bind(inner),
  };
  return store;
}

/** Answers the first create 429 (`Retry-After: 0`, calling `onRefuse` first), the next ones 201 once `onResend` has looked at the record. */
async function refusingOnce(onRefuse: () => void, onResend: () => Promise<void>): Promise<HostileServer> {
  let creates = 0;
  return startHostileServer((_seen, response) => {
    creates += 1;
    if (creates === 1) {
      onRefuse();
      response.writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' }).end('{"message":"slow down"}');
      return;
    }
    void onResend().then(() => response.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"item_1"}'));
  });
}

describe('a send after an answered refusal', () => {
  it.each([
    ['rateLimit', () => [retry({ baseDelayMs: 1 }), rateLimit()]],
    ['retry', () => [retry({ baseDelayMs: 1 })]],
  ] as const)('re-sent by %s, is recorded in flight (attempt 2, sent after the 429) before it leaves', async (_layer, layers) => {
    const store = observedStore();
    let refusedAt = 0;
    const seen: Array<[number | undefined, number | undefined]> = [];
    server = await refusingOnce(() => (refusedAt = Date.now()), async () => {
      const record = await store.get('job-2:create-item');
      seen.push([record?.attempts, record?.inFlight?.sentAt]);
    });
    const sureFetch = createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() }), ...layers()] });
    const response = await postItem(sureFetch, server.url, 'job-2:create-item');
    expect(response.status).toBe(201);
    expect(server.requests.filter((request) => request.method === 'POST')).toHaveLength(2);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.[0]).toBe(2);
    expect(refusedAt).toBeGreaterThan(0);
    expect(seen[0]?.[1]).toBeGreaterThanOrEqual(refusedAt);
    const settled = await store.get('job-2:create-item');
    expect([settled?.state, settled?.attempts, settled?.inFlight]).toEqual(['succeeded', 2, undefined]);
  });

  it('whose record cannot be written is not sent: StoreUnavailableError, one POST', async () => {
    const store = observedStore();
    server = await startHostileServer((_seen, response) => {
      store.failUpdates = true;
      response.writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' }).end('{"message":"slow down"}');
    });
    const sureFetch = createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 1 }), rateLimit()] });
    const failure = await postItem(sureFetch, server.url, 'job-3:create-item').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect(server.requests).toHaveLength(1);
  });
});
