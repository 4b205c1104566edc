import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetch, retry, systemClock } from '../src/index.js';
import { idempotency, type IdempotencyOptions } from '../src/idempotency/idempotency.js';
import { memoryStore } from '../src/store/memory-store.js';
import type { KeyvRequestStore } from '../src/store/request-store.js';
import { startFulfillment, type FulfillmentEmulator } from './emulator/fulfillment.js';

// The liveness marks in one process, on the memory store: who is taken over at once, who is
// waited for, and what the marks cost. The cross-process cases are in idempotency-takeover.test.ts.
let api: FulfillmentEmulator;
beforeAll(async () => {
  api = await startFulfillment();
});
afterAll(async () => {
  await api.close();
});

const creates = (): number => api.requests.filter((r) => r.routeKey === 'POST /v1/orders/create').length;
function worker(store: KeyvRequestStore, options: Omit<IdempotencyOptions, 'store'> = {}) {
  const sureFetch = createFetch({ middleware: [idempotency({ store, keyHeader: 'Idempotency-Key', ...options }), retry()], clock: systemClock });
  return (email: string, scope: string) =>
    sureFetch(`${api.url}/v1/orders/create`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ campaignId: 'marks', shipTo: { name: 'Ada', email, address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' }, products: [{ sku: 'SKU-1', quantity: 1 }] }),
      surefetch: { idempotencyScope: scope },
    });
}

/** Leaves `scope` pending under a 30 s lease, claimed by `owner`, as a worker that sent once would: the request is the one `email` makes. */
async function pendingClaim(store: KeyvRequestStore, email: string, scope: string, owner: string): Promise<void> {
  await worker(store)(email, `probe-${scope}`);
  const probe = await store.get(`probe-${scope}`);
  if (probe === undefined) throw new Error('no probe record');
  const { response: _stored, ...rest } = probe;
  const now = Date.now();
  await store.claim({ ...rest, scope, state: 'pending', attempts: 1, lastSent: 'ambiguous', owner, leaseUntil: now + 30_000, version: 1, createdAt: now, updatedAt: now }, 86_400_000);
}

describe('owner liveness marks', () => {
  it('takes over at once a pending claim whose owner process has no live mark, its 30 s lease notwithstanding', async () => {
    const store = memoryStore();
    await pendingClaim(store, 'dead-owner@example.com', 'job-dead', `call@${randomUUID()}`);
    const before = creates();
    const startedAt = Date.now();
    const response = await worker(store)('dead-owner@example.com', 'job-dead');
    expect(response.status).toBe(201);
    expect(Date.now() - startedAt).toBeLessThan(5000);
    expect(creates() - before).toBe(1);
    expect((await store.get('job-dead'))?.state).toBe('succeeded');
  });

  it('waits for an owner whose mark is alive: IDEMPOTENCY_IN_PROGRESS with retryAt within ownerAliveMs, nothing sent', async () => {
    const store = memoryStore();
    const owner = randomUUID();
    await store.markAlive?.(owner, 60_000);
    await pendingClaim(store, 'live-owner@example.com', 'job-live', `call@${owner}`);
    const before = creates();
    const now = Date.now();
    const error = await worker(store, { ownerAliveMs: 2000 })('live-owner@example.com', 'job-live').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
    const retryAt = (error as { retryAt: number }).retryAt;
    expect(retryAt).toBeGreaterThan(now);
    expect(retryAt).toBeLessThanOrEqual(Date.now() + 2000);
    expect(creates()).toBe(before);
  });

  it('keeps to the lease for a claim that names no process (written without marks): retryAt is the lease end', async () => {
    const store = memoryStore();
    await pendingClaim(store, 'old-owner@example.com', 'job-old', 'dead-worker');
    const error = await worker(store)('old-owner@example.com', 'job-old').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
    expect((error as { retryAt: number }).retryAt).toBeGreaterThan(Date.now() + 20_000);
  });

  it('writes one mark per interval for the whole process, however many calls run, and stops after the last', async () => {
    const store = memoryStore();
    let marks = 0;
    const owners = new Set<string>();
    const markAlive = store.markAlive?.bind(store);
    const counted: KeyvRequestStore = { ...store, markAlive: async (owner, ttlMs, options) => {
      marks += 1;
      owners.add(owner);
      await markAlive?.(owner, ttlMs, options);
    } };
    api.faults.setMix({ routes: ['POST /v1/orders/create'], rates: { delay: 1 }, delayMs: 900 });
    try {
      const send = worker(counted, { ownerAliveMs: 600 });
      const startedAt = Date.now();
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => send(`many-${i}@example.com`, `job-many-${i}`)));
      const ranMs = Date.now() - startedAt;
      expect(answers.every((r) => r.status === 201)).toBe(true);
      // One mark at the start, then one per 200 ms while the calls ran (timers may run late, never early).
      expect(owners.size).toBe(1);
      expect(marks).toBeLessThanOrEqual(2 + Math.ceil(ranMs / 200));
      const afterCalls = marks;
      await systemClock.sleep(1000);
      expect(marks - afterCalls).toBeLessThanOrEqual(1);
    } finally {
      api.faults.setMix(undefined);
    }
  });
});
