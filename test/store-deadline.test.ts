/**
 * A store that freezes (accepts the connection, never answers) must not hold a call past its
 * deadline. Each store operation has its own bound (`operationTimeoutMs`, `storeTimeoutMs`: 2 s
 * here, the default), and a call with `deadlineMs: 300` used to wait for it, once per
 * operation, before failing with StoreUnavailableError. Now the deadline cuts every wait on the
 * store short: before the send the call rejects with DeadlineExceededError and nothing is sent;
 * after it, the answer in hand is returned (or the error thrown) at the deadline, as a store
 * failure there would; and nothing is ever sent a second time, not even after the cut
 * operations have run out their own bound in the background.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyError, createFetch, DeadlineExceededError, idempotency, memoryStore, rateLimit, retry, type ExistenceCheck, type RequestStore, type ResendDecision } from '../src/index.js';
import { rateLimitRedis } from '../src/rate-limit-redis.js';
import type { RateLimitMiddleware } from '../src/rate-limit/middleware.js';
import { postgresStore } from '../src/store/postgres-store.js';
import { redisStore } from '../src/store/redis-store.js';
import type { KeyvRequestStore } from '../src/store/request-store.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';
import { startFreezingProxy, type FreezingProxy } from './support/freezing-proxy.js';
import { redisForTests } from './support/services.js';
import { uniqueNamespace } from './support/store-contract.js';

const redis = await redisForTests();
if (redis.skipReason) console.warn(`Store deadline tests on a live Redis skipped: ${redis.skipReason}`);

const deadlineMs = 300;
// The store's own bound, the default: what a call used to wait for, per operation.
const storeBoundMs = 2000;
// Slack for a loaded 2-core machine: still far below the store's bound.
const marginMs = 400;

/** A TCP server that accepts every connection and never writes a byte: a frozen backend (Redis or PostgreSQL alike). */
async function startFrozenBackend(): Promise<{ readonly url: string; readonly port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${String(port)}`,
    port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Operation = 'claim' | 'get' | 'update' | 'delete' | 'markAlive' | 'isAlive';

/** A store of the caller's own (guarded by idempotency) whose frozen operations never settle and ignore their signal. */
function switchableStore(): RequestStore & { freeze(...operations: Operation[]): void } {
  const inner = memoryStore();
  const frozen = new Set<Operation>();
  const gate = <T>(operation: Operation, run: () => Promise<T>): Promise<T> => (frozen.has(operation) ? new Promise<T>(() => undefined) : run());
  return {
    freeze: (...operations) => operations.forEach((operation) => frozen.add(operation)),
    claim: (record, ttlMs) => gate('claim', () => inner.claim(record, ttlMs)),
    get: (scope) => gate('get', () => inner.get(scope)),
    update: (next, expected, ttlMs) => gate('update', () => inner.update(next, expected, ttlMs)),
    delete: (scope) => gate('delete', () => inner.delete(scope)),
    markAlive: (owner, ttlMs) => gate('markAlive', () => inner.markAlive?.(owner, ttlMs) ?? Promise.resolve()),
    isAlive: (owner) => gate('isAlive', () => inner.isAlive?.(owner) ?? Promise.resolve(false)),
    close: () => inner.close(),
  };
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

/** The API: answers the n-th POST with `answers[n - 1]` (the last one repeats) and a GET with 201, running `onPost` as it takes a POST. */
async function startApi(answers: number[] = [201], onPost: () => void = () => undefined): Promise<HostileServer & { posts(): number }> {
  let posts = 0;
  const server = await startHostileServer((seen, response) => {
    let status = 201;
    if (seen.method === 'POST') {
      posts += 1;
      status = answers[Math.min(posts, answers.length) - 1] ?? 201;
      onPost();
    }
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(status < 300 ? '{"id":"ord_1"}' : '{"message":"boom"}');
  });
  cleanups.push(() => server.close());
  return Object.assign(server, { posts: () => posts });
}

/** A create under `scope`, with the call's deadline. */
const create = (scope: string): RequestInit & { surefetch: object } => ({
  method: 'POST',
  body: '{"sku":"SKU-1"}',
  headers: { 'content-type': 'application/json' },
  surefetch: { idempotencyScope: scope, deadlineMs },
});

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; outcome: T | unknown; startedAt: number }> {
  const startedAt = performance.now();
  const outcome = await run().catch((error: unknown) => error);
  return { ms: performance.now() - startedAt, outcome, startedAt };
}

/** Waits until every operation the call left behind has run out its own bound (and a little more). */
async function outlastStoreBound(startedAt: number): Promise<void> {
  const left = startedAt + storeBoundMs * 2 + 300 - performance.now();
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
}

function expectDeadline(outcome: unknown, ms: number, attempts: number): void {
  expect(outcome).toBeInstanceOf(DeadlineExceededError);
  expect((outcome as DeadlineExceededError).attempts).toBe(attempts);
  expect(ms).toBeGreaterThanOrEqual(deadlineMs - 20);
  expect(ms).toBeLessThan(deadlineMs + marginMs);
}

async function frozenRedisStore(): Promise<KeyvRequestStore> {
  const backend = await startFrozenBackend();
  const store = redisStore({ url: backend.url, namespace: uniqueNamespace() });
  cleanups.push(() => backend.close(), () => store.close());
  return store;
}

describe('the built-in stores on a backend that never answers', () => {
  it('a scoped create with deadlineMs 300: DeadlineExceededError (attempts 0, not-sent) at the deadline, not StoreUnavailableError after 2 s; nothing ever sent', async () => {
    const api = await startApi();
    const sureFetch = createFetch({ middleware: [idempotency({ store: await frozenRedisStore() }), retry()] });
    const { ms, outcome, startedAt } = await timed(() => sureFetch(`${api.url}/v1/orders`, create(`order-${randomUUID()}`)));
    expectDeadline(outcome, ms, 0);
    expect(classifyError(outcome, new AbortController().signal).sent).toBe('not-sent');
    await outlastStoreBound(startedAt);
    expect(api.requests).toHaveLength(0);
  });

  it('the built-in PostgreSQL store, the same: DeadlineExceededError at the deadline, nothing sent', async () => {
    const backend = await startFrozenBackend();
    const store = postgresStore({ url: `postgresql://postgres@127.0.0.1:${String(backend.port)}/test`, namespace: uniqueNamespace() });
    cleanups.push(() => backend.close(), () => store.close());
    const api = await startApi();
    const sureFetch = createFetch({ middleware: [idempotency({ store }), retry()] });
    const { ms, outcome } = await timed(() => sureFetch(`${api.url}/v1/orders`, create(`order-${randomUUID()}`)));
    expectDeadline(outcome, ms, 0);
    expect(api.requests).toHaveLength(0);
  });

  it("createFetch's deadlineMs bounds it the same way", async () => {
    const api = await startApi();
    const sureFetch = createFetch({ middleware: [idempotency({ store: await frozenRedisStore() })], deadlineMs });
    const scope = `order-${randomUUID()}`;
    const { ms, outcome } = await timed(() => sureFetch(`${api.url}/v1/orders`, { ...create(scope), surefetch: { idempotencyScope: scope } }));
    expectDeadline(outcome, ms, 0);
    expect(api.requests).toHaveLength(0);
  });
});

describe('a store of your own whose operations never settle (guarded by storeTimeoutMs, 2 s)', () => {
  it('the claim freezes: DeadlineExceededError at the deadline, nothing sent', async () => {
    const api = await startApi();
    const store = switchableStore();
    store.freeze('claim');
    const sureFetch = createFetch({ middleware: [idempotency({ store }), retry()] });
    const { ms, outcome, startedAt } = await timed(() => sureFetch(`${api.url}/v1/orders`, create('order-1')));
    expectDeadline(outcome, ms, 0);
    await outlastStoreBound(startedAt);
    expect(api.requests).toHaveLength(0);
  });

  it('the record write before the send freezes: DeadlineExceededError at the deadline, nothing sent, then or later', async () => {
    const api = await startApi();
    const store = switchableStore();
    store.freeze('update');
    const sureFetch = createFetch({ middleware: [idempotency({ store }), retry()] });
    const { ms, outcome, startedAt } = await timed(() => sureFetch(`${api.url}/v1/orders`, create('order-2')));
    expectDeadline(outcome, ms, 0);
    await outlastStoreBound(startedAt);
    expect(api.requests).toHaveLength(0);
  });

  it('freezes as the API takes the create (201): the created answer is returned by the deadline, the create sent once', async () => {
    const store = switchableStore();
    const api = await startApi([201], () => store.freeze('update', 'get', 'claim', 'markAlive', 'isAlive'));
    const sureFetch = createFetch({ middleware: [idempotency({ store }), retry()] });
    const { ms, outcome, startedAt } = await timed(() => sureFetch(`${api.url}/v1/orders`, create('order-3')));
    expect(outcome).toBeInstanceOf(Response);
    expect((outcome as Response).status).toBe(201);
    expect(await (outcome as Response).json()).toEqual({ id: 'ord_1' });
    expect(ms).toBeLessThan(deadlineMs + marginMs);
    await outlastStoreBound(startedAt);
    expect(api.posts()).toBe(1);
  });

  it('freezes as the API answers 500: the write before the re-send is cut at the deadline, DeadlineExceededError (attempts 1, not read as not-sent), no second POST', async () => {
    const store = switchableStore();
    const api = await startApi([500, 201], () => store.freeze('update', 'get', 'claim', 'markAlive', 'isAlive'));
    const sureFetch = createFetch({ middleware: [idempotency({ store, keyHeader: 'Idempotency-Key' }), retry({ baseDelayMs: 1, maxDelayMs: 1 })] });
    const { ms, outcome, startedAt } = await timed(() => sureFetch(`${api.url}/v1/orders`, create('order-4')));
    expectDeadline(outcome, ms, 1);
    expect(classifyError(outcome, new AbortController().signal).sent).not.toBe('not-sent');
    await outlastStoreBound(startedAt);
    expect(api.posts()).toBe(1);
  });

  it("the existence check's claim of a match freezes before the re-send: DeadlineExceededError (attempts 1) at the deadline, no second POST", async () => {
    const store = switchableStore();
    const api = await startApi([500, 201], () => store.freeze('claim'));
    const claimsMatch: ExistenceCheck = async (_ctx, _previous, _record, tools) => ((await tools.claim('ord_1')) ? { action: 'resend', absent: true } : { action: 'resend' });
    const sureFetch = createFetch({ middleware: [idempotency({ store, existenceCheck: claimsMatch }), retry({ baseDelayMs: 1, maxDelayMs: 1 })] });
    const { ms, outcome, startedAt } = await timed(() => sureFetch(`${api.url}/v1/orders`, create('order-6')));
    expectDeadline(outcome, ms, 1);
    await outlastStoreBound(startedAt);
    expect(api.posts()).toBe(1);
  });

  it("the existence check's identity hold freezes before the first send: DeadlineExceededError (attempts 0) at the deadline, nothing sent", async () => {
    const api = await startApi();
    const store = switchableStore();
    store.freeze('get');
    const check: ExistenceCheck = Object.assign(async (): Promise<ResendDecision> => ({ action: 'resend' }), { identity: { of: () => 'campaign-1 a@b.test', holdMs: 1000 } });
    const sureFetch = createFetch({ middleware: [idempotency({ store, existenceCheck: check }), retry()] });
    const { ms, outcome, startedAt } = await timed(() => sureFetch(`${api.url}/v1/orders`, create('order-7')));
    expectDeadline(outcome, ms, 0);
    await outlastStoreBound(startedAt);
    expect(api.requests).toHaveLength(0);
  });

  it('waiting for a live owner: IDEMPOTENCY_IN_PROGRESS at the deadline as before; a read of its record that freezes, DeadlineExceededError at the deadline', async () => {
    // The owner: a call of this process whose create the API never answers.
    const unanswered: ServerResponse[] = [];
    const api = await startHostileServer((_seen, response) => void unanswered.push(response));
    cleanups.push(() => api.close());
    const store = switchableStore();
    const sureFetch = createFetch({ middleware: [idempotency({ store, waitForOwnerMs: 10_000, pollMs: 100 })] });
    const owner = new AbortController();
    const first = sureFetch(`${api.url}/v1/orders`, { ...create('order-8'), signal: owner.signal, surefetch: { idempotencyScope: 'order-8' } }).catch((error: unknown) => error);
    await expect.poll(() => api.requests.length).toBe(1);
    const waited = await timed(() => sureFetch(`${api.url}/v1/orders`, create('order-8')));
    expect(waited.outcome).toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
    expect(waited.ms).toBeLessThan(deadlineMs + marginMs);
    store.freeze('get');
    const frozen = await timed(() => sureFetch(`${api.url}/v1/orders`, create('order-8')));
    expectDeadline(frozen.outcome, frozen.ms, 0);
    owner.abort(new Error('test over'));
    await first;
    expect(api.requests).toHaveLength(1);
  });

  it('a call with no deadline still waits for the store its own bound (the deadline adds a bound, it moves no other)', async () => {
    const api = await startApi();
    const store = switchableStore();
    store.freeze('claim');
    const sureFetch = createFetch({ middleware: [idempotency({ store, storeTimeoutMs: 500 })] });
    const { ms, outcome } = await timed(() => sureFetch(`${api.url}/v1/orders`, { ...create('order-5'), surefetch: { idempotencyScope: 'order-5' } }));
    expect(outcome).toMatchObject({ code: 'STORE_UNAVAILABLE', operation: 'claim' });
    expect(ms).toBeGreaterThanOrEqual(480);
    expect(api.requests).toHaveLength(0);
  });
});

describe('a healthy store when the deadline itself cuts the create short', () => {
  it('with an idempotency key: DeadlineExceededError, as before, not AmbiguousOutcomeError (the record of the unanswered send is no reason to fail the last look)', async () => {
    const unanswered: ServerResponse[] = [];
    const api = await startHostileServer((_seen, response) => void unanswered.push(response));
    cleanups.push(() => api.close());
    const store = memoryStore();
    const sureFetch = createFetch({ middleware: [idempotency({ store, keyHeader: 'Idempotency-Key' }), retry({ baseDelayMs: 1, maxDelayMs: 1 })] });
    const { ms, outcome } = await timed(() => sureFetch(`${api.url}/v1/orders`, create('order-9')));
    expect(outcome).toBeInstanceOf(DeadlineExceededError);
    expect(ms).toBeLessThan(deadlineMs + marginMs);
    expect(api.requests).toHaveLength(1);
    // The record keeps the send as unanswered, for a re-run to wait out or re-send with its key.
    await expect.poll(async () => (await store.get('order-9'))?.unanswered).toBeDefined();
  });
});

describe.skipIf(!redis.url)('the built-in Redis store that freezes mid-call (a live Redis behind a partitioning proxy)', () => {
  async function proxiedStore(): Promise<{ store: KeyvRequestStore; proxy: FreezingProxy }> {
    const proxy = await startFreezingProxy(Number(new URL(redis.url ?? '').port || 6379));
    const store = redisStore({ url: `redis://127.0.0.1:${String(proxy.port)}`, namespace: uniqueNamespace() });
    cleanups.push(() => proxy.close(), () => store.close());
    await store.get('warm');
    return { store, proxy };
  }

  it('freezes as the API takes the create (201): the answer is returned by the deadline, sent once', async () => {
    const { store, proxy } = await proxiedStore();
    const api = await startApi([201], () => proxy.freeze());
    const sureFetch = createFetch({ middleware: [idempotency({ store }), retry()] });
    const { ms, outcome, startedAt } = await timed(() => sureFetch(`${api.url}/v1/orders`, create(`order-${randomUUID()}`)));
    expect((outcome as Response).status).toBe(201);
    expect(ms).toBeLessThan(deadlineMs + marginMs);
    await outlastStoreBound(startedAt);
    expect(api.posts()).toBe(1);
  });

  it('freezes as the API answers 500: DeadlineExceededError (attempts 1) at the deadline, no second POST', async () => {
    const { store, proxy } = await proxiedStore();
    const api = await startApi([500, 201], () => proxy.freeze());
    const sureFetch = createFetch({ middleware: [idempotency({ store, keyHeader: 'Idempotency-Key' }), retry({ baseDelayMs: 1, maxDelayMs: 1 })] });
    const { ms, outcome, startedAt } = await timed(() => sureFetch(`${api.url}/v1/orders`, create(`order-${randomUUID()}`)));
    expectDeadline(outcome, ms, 1);
    await outlastStoreBound(startedAt);
    expect(api.posts()).toBe(1);
  });
});

describe("rateLimit's Redis", () => {
  function limiterOn(url: string): RateLimitMiddleware {
    const middleware = rateLimit({ redis: rateLimitRedis({ url }), id: `deadline:${randomUUID()}` });
    cleanups.push(() => middleware.close());
    return middleware;
  }

  it('never answers (first connect): DeadlineExceededError at the deadline, nothing sent', async () => {
    const backend = await startFrozenBackend();
    cleanups.push(() => backend.close());
    const api = await startApi();
    const sureFetch = createFetch({ middleware: [retry(), limiterOn(backend.url)] });
    const { ms, outcome } = await timed(() => sureFetch(`${api.url}/v1/items`, { surefetch: { deadlineMs } }));
    expectDeadline(outcome, ms, 0);
    expect(api.requests).toHaveLength(0);
  });

  it.skipIf(!redis.url)('freezes after it was used: the budget read is cut at the deadline, nothing more sent', async () => {
    const proxy = await startFreezingProxy(Number(new URL(redis.url ?? '').port || 6379));
    cleanups.push(() => proxy.close());
    const api = await startApi();
    const sureFetch = createFetch({ middleware: [retry(), limiterOn(`redis://127.0.0.1:${String(proxy.port)}`)] });
    expect((await sureFetch(`${api.url}/v1/items`)).status).toBe(201);
    proxy.freeze();
    const { ms, outcome } = await timed(() => sureFetch(`${api.url}/v1/items`, { surefetch: { deadlineMs } }));
    expectDeadline(outcome, ms, 0);
    expect(api.requests).toHaveLength(1);
  });

  it.skipIf(!redis.url)('freezes as the API answers: the answer is returned by the deadline', async () => {
    const proxy = await startFreezingProxy(Number(new URL(redis.url ?? '').port || 6379));
    cleanups.push(() => proxy.close());
    const api = await startApi([201], () => proxy.freeze());
    const sureFetch = createFetch({ middleware: [retry(), limiterOn(`redis://127.0.0.1:${String(proxy.port)}`)] });
    expect((await sureFetch(`${api.url}/v1/warm`)).status).toBe(201);
    const { ms, outcome } = await timed(() => sureFetch(`${api.url}/v1/items`, { method: 'POST', body: '{}', surefetch: { deadlineMs } }));
    expect((outcome as Response).status).toBe(201);
    expect(ms).toBeLessThan(deadlineMs + marginMs);
  });
});
