import { spawn } from 'node:child_process';
import { tracked } from './support/child-processes.js';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetch, createManualClock } from '../src/index.js';
import { idempotency } from '../src/idempotency/idempotency.js';
import { postgresStore } from '../src/store/postgres-store.js';
import { redisStore } from '../src/store/redis-store.js';
import type { KeyvRequestStore } from '../src/store/request-store.js';
import { StoreUnavailableError } from '../src/store/store-unavailable-error.js';
import { startFulfillment, type FulfillmentEmulator } from './emulator/fulfillment.js';
import { startFreezingProxy, throughProxy, type FreezingProxy } from './support/freezing-proxy.js';
import { postgresForTests, redisForTests } from './support/services.js';
import { makeRecord, uniqueNamespace } from './support/store-contract.js';

// A frozen backend (partitioned: the TCP proxy accepts and never answers) must cost a caller at
// most operationTimeoutMs, never block its abort, never block close(), and never keep the process alive.
const redis = await redisForTests();
const postgres = await postgresForTests();
const table = `sf_frozen_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const timeoutMs = 300;
const proxies: FreezingProxy[] = [];

const backends = [
  { name: 'redis', url: redis.url, open: (url: string) => redisStore({ url, namespace: uniqueNamespace(), operationTimeoutMs: timeoutMs }) },
  {
    name: 'postgres',
    url: postgres.url,
    open: (url: string) => postgresStore({ url, table, namespace: uniqueNamespace(), operationTimeoutMs: timeoutMs }),
  },
] as const;

let api: FulfillmentEmulator;
beforeAll(async () => {
  api = await startFulfillment();
});

afterAll(async () => {
  await api.close();
  for (const proxy of proxies) await proxy.close();
  if (postgres.url) {
    const store = postgresStore({ url: postgres.url, table });
    await (store.keyv.store as { query: (sql: string) => Promise<unknown> }).query(`DROP TABLE IF EXISTS ${table}`);
    await store.close();
  }
});

/**
 * One claim that lands. The first one also connects (and on PostgreSQL creates the table) through
 * the proxy, which on a loaded CI machine can take longer than the 300 ms bound under test: a
 * StoreUnavailableError there is the bound working, not the frozen backend, so try again.
 */
async function warmUp(store: KeyvRequestStore): Promise<boolean> {
  for (let i = 0; i < 20; i += 1) {
    const claimed = await store.claim(makeRecord(`warm-${randomUUID()}`), 60_000).then(
      (r) => r.claimed,
      (error: unknown) => (error instanceof StoreUnavailableError ? false : Promise.reject(error)),
    );
    if (claimed) return true;
  }
  return false;
}

/** A store that worked through the proxy, whose backend is now frozen. */
async function frozenStore(backend: (typeof backends)[number]): Promise<KeyvRequestStore & { proxy: FreezingProxy }> {
  const proxy = await startFreezingProxy(Number(new URL(backend.url ?? '').port || (backend.name === 'redis' ? 6379 : 5432)));
  proxies.push(proxy);
  const store = backend.open(throughProxy(backend.url ?? '', proxy));
  expect(await warmUp(store)).toBe(true);
  proxy.freeze();
  return Object.assign(store, { proxy });
}

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; result: PromiseSettledResult<T> }> {
  const start = performance.now();
  const [result] = await Promise.allSettled([run()]);
  return { ms: performance.now() - start, result: result as PromiseSettledResult<T> };
}

for (const backend of backends) {
  describe.skipIf(!backend.url)(`a frozen ${backend.name}`, () => {
    it('fails each operation with StoreUnavailableError within operationTimeoutMs (plus slack), not a multiple of it', async () => {
      const store = await frozenStore(backend);
      const runs: Array<() => Promise<unknown>> = [() => store.claim(makeRecord('a'), 60_000), () => store.get('a'), () => store.delete('a')];
      for (const run of runs) {
        const { ms, result } = await timed(run);
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
        expect(ms).toBeGreaterThanOrEqual(timeoutMs - 20);
        expect(ms).toBeLessThan(timeoutMs * 1.8);
      }
      await store.close();
    });

    it("rejects with the caller's abort reason as soon as the caller aborts, not at the timeout", async () => {
      const store = await frozenStore(backend);
      const controller = new AbortController();
      const reason = new Error('caller gave up');
      setTimeout(() => controller.abort(reason), 30);
      const { ms, result } = await timed(() => store.claim(makeRecord('b'), 60_000, { signal: controller.signal }));
      expect(result).toEqual({ status: 'rejected', reason });
      expect(ms).toBeLessThan(timeoutMs / 2);
      const already = await timed(() => store.get('b', { signal: controller.signal }));
      expect(already.result).toEqual({ status: 'rejected', reason });
      await store.close();
    });

    it('close() resolves within operationTimeoutMs (plus slack) while an operation hangs, and drops its connections', async () => {
      const store = await frozenStore(backend);
      const pending = store.claim(makeRecord('c'), 60_000).catch((error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(store.proxy.openClients()).toBeGreaterThan(0);
      const { ms, result } = await timed(() => store.close());
      expect(result.status).toBe('fulfilled');
      expect(ms).toBeLessThan(timeoutMs * 1.8);
      expect(await pending).toBeInstanceOf(StoreUnavailableError);
      // The proxy sees the close of every socket the store had (a partition would never close them).
      await expect.poll(() => store.proxy.openClients(), { timeout: 1000 }).toBe(0);
    });

    it('lets the process exit after close() (a child that returns from main exits within 3 s)', async () => {
      const proxy = await startFreezingProxy(Number(new URL(backend.url ?? '').port || (backend.name === 'redis' ? 6379 : 5432)));
      proxies.push(proxy);
      const env = { ...process.env, STORE_URL: throughProxy(backend.url ?? '', proxy), STORE_BACKEND: backend.name, STORE_TABLE: table };
      const child = tracked(spawn(process.execPath, ['--import', 'tsx', 'test/support/frozen-store-child.ts'], { env, stdio: ['pipe', 'pipe', 'inherit'] }));
      let out = '';
      let closedAt = 0;
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('ready') && !child.stdin.writableEnded) {
          proxy.freeze();
          child.stdin.end('go\n');
        }
        if (closedAt === 0 && out.includes('close:')) closedAt = performance.now();
      });
      const code = await new Promise<number | null>((resolve) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.on('exit', (exitCode) => {
          clearTimeout(kill);
          resolve(exitCode);
        });
      });
      expect(out).toContain('claim: StoreUnavailableError');
      expect(out).toContain('close: resolved');
      expect(code).toBe(0);
      expect(performance.now() - closedAt).toBeLessThan(3000);
    }, 20_000);

    it('an idempotency call on it fails with StoreUnavailableError within the bound, or with the abort at once, sending nothing', async () => {
      const store = await frozenStore(backend);
      const sureFetch = createFetch({ middleware: [idempotency({ store })], clock: createManualClock() });
      const creates = (): number => api.requests.filter((r) => r.method === 'POST').length;
      const before = creates();
      const call = (scope: string, signal?: AbortSignal): Promise<Response> =>
        sureFetch(`${api.url}/v1/orders/create`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ campaignId: 'c', products: [{ sku: 'SKU-1', quantity: 1 }] }),
          signal,
          surefetch: { idempotencyScope: scope },
        });
      const unbounded = await timed(() => call(`frozen-${randomUUID()}`));
      expect((unbounded.result as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
      expect(unbounded.ms).toBeLessThan(timeoutMs * 1.8);
      const controller = new AbortController();
      const reason = new Error('job cancelled');
      setTimeout(() => controller.abort(reason), 30);
      const aborted = await timed(() => call(`frozen-${randomUUID()}`, controller.signal));
      expect(aborted.result).toEqual({ status: 'rejected', reason });
      expect(aborted.ms).toBeLessThan(timeoutMs / 2);
      expect(creates()).toBe(before);
      await store.close();
    });
  });
}
