import { spawn, type ChildProcess } from 'node:child_process';
import { tracked } from './support/child-processes.js';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFetch, retry, systemClock } from '../src/index.js';
import { idempotency } from '../src/idempotency/idempotency.js';
import { byRoute, fulfillmentOrders } from '../src/recipes/index.js';
import { postgresStore } from '../src/store/postgres-store.js';
import { redisStore } from '../src/store/redis-store.js';
import type { KeyvRequestStore } from '../src/store/request-store.js';
import { startFulfillment, type FulfillmentEmulator } from './emulator/fulfillment.js';
import { postgresForTests, redisForTests } from './support/services.js';
import { uniqueNamespace } from './support/store-contract.js';

// Crash recovery by liveness marks: a worker holding a scope is SIGKILLed, and another process
// resumes the scope within seconds (its lease, 30 s, has not passed); a live but slow one is left alone.
const redis = await redisForTests();
const postgres = await postgresForTests();
const backends = [
  { name: 'Redis', store: 'redis', url: redis.url, open: (url: string, namespace: string) => redisStore({ url, namespace }) },
  { name: 'PostgreSQL', store: 'postgres', url: postgres.url, open: (url: string, namespace: string) => postgresStore({ url, namespace }) },
] as const;
const child = fileURLToPath(new URL('./support/idempotency-child.ts', import.meta.url));
const leaseMs = 30_000;
const create = 'POST /v1/orders/create';

/** The order body the child sends for `email`, byte for byte (the scope's fingerprint covers it). */
const orderBody = (email: string): string =>
  JSON.stringify({ campaignId: 'crash', shipTo: { name: 'Ada', email, address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' }, products: [{ sku: 'SKU-1', quantity: 1 }] });

// Workers still running when their test ends (it failed or timed out): killed after it, so that
// none is left behind (a frozen one stays frozen; one waiting on a closed API keeps polling).
const running = new Set<ChildProcess>();
afterEach(() => {
  for (const proc of running) proc.kill('SIGKILL');
  running.clear();
});

/** Starts the child worker on one scope; `exit` resolves with what it printed and how it ended. */
function startWorker(env: Record<string, string>): { signal: (name: NodeJS.Signals) => void; exit: Promise<{ output: string; signal: NodeJS.Signals | null; code: number | null }> } {
  const proc = tracked(spawn(process.execPath, ['--import', 'tsx', child], { env: { ...process.env, LEASE_MS: String(leaseMs), ATTEMPT_MS: '60000', ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  let output = '';
  proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<{ output: string; signal: NodeJS.Signals | null; code: number | null }>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code, signal) => resolve({ output, signal, code }));
  });
  return { signal: (name) => proc.kill(name), exit };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > giveUpAt) throw new Error('timed out waiting for the worker');
    await systemClock.sleep(20);
  }
}

describe.each(backends)('taking over a crashed worker’s scope on $name', (backend) => {
  let api: FulfillmentEmulator;
  let store: KeyvRequestStore;
  let namespace: string;
  beforeAll(async () => {
    api = await startFulfillment();
    namespace = uniqueNamespace();
    if (backend.url) store = backend.open(backend.url, namespace);
  });
  afterAll(async () => {
    await store?.close();
    await api.close();
  });

  const resumer = (): ReturnType<typeof createFetch> =>
    createFetch({
      middleware: [idempotency({ store, leaseMs, waitForOwnerMs: 25_000, pollMs: 50, existenceCheck: byRoute(fulfillmentOrders({ settleDelaysMs: [0, 100, 200] })) }), retry()],
    });
  const creates = (): number => api.requests.filter((r) => r.routeKey === create).length;
  const send = (sureFetch: ReturnType<typeof createFetch>, scope: string, email: string): Promise<Response> =>
    sureFetch(`${api.url}/v1/orders/create`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' },
      body: orderBody(email),
      surefetch: { idempotencyScope: scope },
    });
  const env = (scope: string, email: string): Record<string, string> => ({
    STORE: backend.store, STORE_URL: backend.url ?? '', NAMESPACE: namespace, API_URL: api.url, API_KEY: api.apiKey, SCOPE: scope, EMAIL: email,
  });

  it.skipIf(!backend.url)('resumes the scope of a worker SIGKILLed mid-create (2 s attempt timeout) after the lifetime of its send, well before leaseMs, finding its order instead of re-sending', async () => {
    const scope = `takeover-${namespace}`;
    const email = `takeover-${namespace}@example.com`;
    // The order commits and the answer never comes: the worker dies holding a live 30 s lease.
    api.faults.script(create, { kind: 'commit-then-stall' });
    // It dies with its create out: the resumer believes no absence before that send's lifetime
    // (twice this attempt timeout) has passed from the takeover, so the order is found at ~4 s.
    const worker = startWorker({ ...env(scope, email), ATTEMPT_MS: '2000' });
    await until(() => api.records.orders.some((o) => o.shipTo.email === email), 20_000);
    worker.signal('SIGKILL');
    expect((await worker.exit).signal).toBe('SIGKILL');
    const killedAt = Date.now();
    expect((await store.get(scope))?.leaseUntil).toBeGreaterThan(killedAt + leaseMs / 2);
    const sentBefore = creates();

    const response = await send(resumer(), scope, email);
    const resumedInMs = Date.now() - killedAt;
    console.info(`${backend.name}: the crashed worker's scope was resumed ${resumedInMs} ms after the kill (lease ${leaseMs} ms)`);
    expect(response.status).toBe(201);
    expect(resumedInMs).toBeLessThan(leaseMs / 3);
    expect(creates()).toBe(sentBefore);
    expect(api.records.orders.filter((o) => o.shipTo.email === email)).toHaveLength(1);
    expect((await store.get(scope))?.state).toBe('succeeded');
  }, 60_000);

  it.skipIf(!backend.url)('leaves a live worker whose create takes 8 s (past several liveness periods) alone: the other waits and replays its answer', async () => {
    const scope = `slow-owner-${namespace}`;
    const email = `slow-owner-${namespace}@example.com`;
    api.faults.script(create, { kind: 'delay', ms: 8000 });
    const before = creates();
    const worker = startWorker(env(scope, email));
    await until(() => creates() > before, 20_000);

    const response = await send(resumer(), scope, email);
    const ownerRun = await worker.exit;
    expect(ownerRun.code).toBe(0);
    const ownerId = /done 201 (\S+)/.exec(ownerRun.output)?.[1];
    expect(ownerId).toBeDefined();
    expect(((await response.json()) as { id: string }).id).toBe(ownerId);
    expect(creates() - before).toBe(1);
    expect(api.records.orders.filter((o) => o.shipTo.email === email)).toHaveLength(1);
  }, 60_000);

  it.skipIf(!backend.url)('lets a worker frozen (SIGSTOP) past its liveness mark be taken over, and after SIGCONT it sends nothing more', async () => {
    const scope = `frozen-${namespace}`;
    const email = `frozen-${namespace}@example.com`;
    api.faults.script(create, { kind: 'commit-then-stall' });
    // Its attempt gives up 2 s after it wakes at the latest: it then tries to go on with the call.
    const worker = startWorker({ ...env(scope, email), ATTEMPT_MS: '2000' });
    await until(() => api.records.orders.some((o) => o.shipTo.email === email), 20_000);
    worker.signal('SIGSTOP');
    const frozenAt = Date.now();
    const sentBefore = creates();

    const response = await send(resumer(), scope, email);
    expect(response.status).toBe(201);
    expect(Date.now() - frozenAt).toBeLessThan(leaseMs / 3);
    worker.signal('SIGCONT');
    const woken = await worker.exit;
    // Woken, the owner either finds the order itself or ends with LEASE_LOST; it never re-sends.
    expect(woken.output).toMatch(/done 201|LEASE_LOST/);
    expect(creates()).toBe(sentBefore);
    expect(api.records.orders.filter((o) => o.shipTo.email === email)).toHaveLength(1);
  }, 60_000);
});
