/**
 * A store of the caller's own (a `RequestStore` over DynamoDB, say) that breaks the contract:
 * it never answers, ignores the caller's signal, or rejects with an error of its own. The
 * built-in stores bound themselves (`operationTimeoutMs`); idempotency must bound the others
 * too: a `StoreUnavailableError` within `storeTimeoutMs`, nothing sent while the record is in
 * doubt, and never a hang.
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createFetch, idempotency, memoryStore, StoreUnavailableError, type RequestStore } from '../src/index.js';
import { redisStore } from '../src/store/redis-store.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';
import { startFreezingProxy } from './support/freezing-proxy.js';
import { redisForTests } from './support/services.js';
import { uniqueNamespace } from './support/store-contract.js';

const redis = await redisForTests();
if (redis.skipReason) console.warn(`Wrapped built-in store test on Redis skipped: ${redis.skipReason}`);

type Operation = 'claim' | 'get' | 'update' | 'delete' | 'markAlive' | 'isAlive';

/** A memory store behind a switch: a frozen operation returns a promise that never settles. */
function switchableStore(): RequestStore & { freeze(operation: Operation): void; fail(operation: Operation, error: unknown): void; calls: Operation[] } {
  const inner = memoryStore();
  const frozen = new Set<Operation>();
  const failing = new Map<Operation, unknown>();
  const calls: Operation[] = [];
  const gate = <T>(operation: Operation, run: () => Promise<T>): Promise<T> => {
    calls.push(operation);
    if (frozen.has(operation)) return new Promise<T>(() => undefined);
    if (failing.has(operation)) return Promise.reject(failing.get(operation));
    return run();
  };
  return {
    calls,
    freeze: (operation) => frozen.add(operation),
    fail: (operation, error) => failing.set(operation, error),
    claim: (record, ttlMs) => gate('claim', () => inner.claim(record, ttlMs)),
    get: (scope) => gate('get', () => inner.get(scope)),
    update: (next, expected, ttlMs) => gate('update', () => inner.update(next, expected, ttlMs)),
    delete: (scope) => gate('delete', () => inner.delete(scope)),
    markAlive: (owner, ttlMs) => gate('markAlive', () => inner.markAlive?.(owner, ttlMs) ?? Promise.resolve()),
    isAlive: (owner) => gate('isAlive', () => inner.isAlive?.(owner) ?? Promise.resolve(false)),
    close: () => inner.close(),
  };
}

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const startCreates = async (): Promise<HostileServer> =>
  (server = await startHostileServer((_seen, response) => {
    response.writeHead(201, { 'content-type': 'application/json' });
    response.end('{"id":"ord_1"}');
  }));

const post = (scope: string, signal?: AbortSignal): RequestInit & { surefetch: object } => ({
  method: 'POST',
  body: '{"sku":"SKU-1"}',
  headers: { 'content-type': 'application/json' },
  signal,
  surefetch: { idempotencyScope: scope },
});

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; outcome: T | unknown }> {
  const started = performance.now();
  const outcome = await run().catch((error: unknown) => error);
  return { ms: performance.now() - started, outcome };
}

const timeoutMs = 300;

describe('a store of your own that breaks the RequestStore contract', () => {
  it('never answers its claim: StoreUnavailableError (backend "custom", operation "claim") within storeTimeoutMs, nothing sent', async () => {
    const api = await startCreates();
    const store = switchableStore();
    store.freeze('claim');
    const sureFetch = createFetch({ middleware: [idempotency({ store, storeTimeoutMs: timeoutMs })] });
    const { ms, outcome } = await timed(() => sureFetch(`${api.url}/v1/orders`, post('order-1')));
    expect(outcome).toBeInstanceOf(StoreUnavailableError);
    expect(outcome).toMatchObject({ backend: 'custom', operation: 'claim' });
    expect((outcome as Error).message).toContain(`${timeoutMs} ms`);
    expect(ms).toBeGreaterThanOrEqual(timeoutMs - 20);
    expect(ms).toBeLessThan(timeoutMs * 3);
    expect(api.requests).toHaveLength(0);
  });

  it('answers the claim, then never answers the write before the send: StoreUnavailableError, nothing sent', async () => {
    const api = await startCreates();
    const store = switchableStore();
    store.freeze('update');
    const sureFetch = createFetch({ middleware: [idempotency({ store, storeTimeoutMs: timeoutMs })] });
    const { ms, outcome } = await timed(() => sureFetch(`${api.url}/v1/orders`, post('order-2')));
    expect(outcome).toBeInstanceOf(StoreUnavailableError);
    expect(outcome).toMatchObject({ backend: 'custom', operation: 'update' });
    expect(ms).toBeLessThan(timeoutMs * 4);
    expect(api.requests).toHaveLength(0);
  });

  it('freezes once the create is sent: the created answer is returned within the bound, and the create was sent once', async () => {
    const store = switchableStore();
    // The store freezes as the API takes the create: every record write after it hangs.
    const api = (server = await startHostileServer((_seen, response) => {
      store.freeze('update');
      response.writeHead(201, { 'content-type': 'application/json' });
      response.end('{"id":"ord_1"}');
    }));
    const sureFetch = createFetch({ middleware: [idempotency({ store, storeTimeoutMs: timeoutMs })] });
    const { ms, outcome } = await timed(() => sureFetch(`${api.url}/v1/orders`, post('order-3')));
    expect(outcome).toBeInstanceOf(Response);
    expect((outcome as Response).status).toBe(201);
    expect(await (outcome as Response).json()).toEqual({ id: 'ord_1' });
    expect(store.calls.filter((operation) => operation === 'update').length).toBeGreaterThanOrEqual(2);
    expect(ms).toBeLessThan(timeoutMs * 4);
    expect(api.requests).toHaveLength(1);
  });

  it("rejects with the caller's abort reason as soon as the caller aborts, although the store ignores the signal", async () => {
    const api = await startCreates();
    const store = switchableStore();
    store.freeze('claim');
    const sureFetch = createFetch({ middleware: [idempotency({ store, storeTimeoutMs: 10_000 })] });
    const controller = new AbortController();
    const reason = new Error('job cancelled');
    setTimeout(() => controller.abort(reason), 30);
    const { ms, outcome } = await timed(() => sureFetch(`${api.url}/v1/orders`, post('order-4', controller.signal)));
    expect(outcome).toBe(reason);
    expect(ms).toBeLessThan(1000);
    expect(api.requests).toHaveLength(0);
  });

  it('rejects its claim with an error of its own: StoreUnavailableError with that error as its cause, nothing sent', async () => {
    const api = await startCreates();
    const store = switchableStore();
    const own = new Error('ProvisionedThroughputExceededException');
    store.fail('claim', own);
    const sureFetch = createFetch({ middleware: [idempotency({ store, storeTimeoutMs: timeoutMs })] });
    const outcome = await sureFetch(`${api.url}/v1/orders`, post('order-5')).catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(StoreUnavailableError);
    expect(outcome).toMatchObject({ backend: 'custom', operation: 'claim' });
    expect((outcome as Error).cause).toBe(own);
    expect(api.requests).toHaveLength(0);
  });

  it('storeTimeoutMs 0 or Infinity sets no bound: a store that answers after 400 ms still serves the call', async () => {
    const api = await startCreates();
    for (const [index, storeTimeoutMs] of [0, Number.POSITIVE_INFINITY].entries()) {
      const inner = memoryStore();
      const slow: RequestStore = {
        ...inner,
        claim: (record, ttlMs) => new Promise((resolve) => setTimeout(resolve, 400)).then(() => inner.claim(record, ttlMs)),
      };
      const sureFetch = createFetch({ middleware: [idempotency({ store: slow, storeTimeoutMs })] });
      const response = await sureFetch(`${api.url}/v1/orders`, post(`order-slow-${String(index)}`));
      expect(response.status).toBe(201);
    }
    expect(api.requests).toHaveLength(2);
  });

  it('fails with an error quoting a URL with a password: StoreUnavailableError ("custom") with the password in neither message, stack nor cause', async () => {
    const api = await startCreates();
    const inner = memoryStore();
    const serviceUrl = 'http://svc:hunter2@127.0.0.1:9/records';
    // A record service reached by URL: fetch refuses a URL with credentials, and quotes it.
    const store: RequestStore = { ...inner, claim: async (record, ttlMs) => (await fetch(`${serviceUrl}/${record.scope}`, { method: 'PUT' }), inner.claim(record, ttlMs)) };
    const sureFetch = createFetch({ middleware: [idempotency({ store, storeTimeoutMs: timeoutMs })] });
    const error = (await sureFetch(`${api.url}/v1/orders`, post('order-6')).catch((e: unknown) => e)) as StoreUnavailableError;
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.backend).toBe('custom');
    expect(error.message).toContain('svc:***@');
    for (let e: unknown = error; e instanceof Error; e = e.cause) expect(`${e.message} ${String(e.stack)}`).not.toContain('hunter2');
    expect(api.requests).toHaveLength(0);
  });

  it.skipIf(!redis.url)("a copy of a built-in store keeps the built-in operations' own bound; an operation you replace is bounded by storeTimeoutMs", async () => {
    const api = await startCreates();
    const proxy = await startFreezingProxy(Number(new URL(redis.url ?? '').port || 6379));
    const store = redisStore({ url: `redis://127.0.0.1:${String(proxy.port)}`, namespace: uniqueNamespace(), operationTimeoutMs: 1200 });
    try {
      await store.get('warm');
      proxy.freeze();
      const copy: RequestStore = { ...store };
      // A call marks its worker alive, then claims: both replaced (say, to log them).
      const replaced: RequestStore = { ...store, markAlive: (owner, ttlMs, options) => store.markAlive?.(owner, ttlMs, options) ?? Promise.resolve(), claim: (record, ttlMs, options) => store.claim(record, ttlMs, options) };
      const outcomes = [];
      for (const [index, each] of [copy, replaced].entries()) {
        const sureFetch = createFetch({ middleware: [idempotency({ store: each, storeTimeoutMs: timeoutMs })] });
        outcomes.push(await timed(() => sureFetch(`${api.url}/v1/orders`, post(`order-7-${String(index)}`))));
      }
      const [kept, bounded] = outcomes as [{ ms: number; outcome: StoreUnavailableError }, { ms: number; outcome: StoreUnavailableError }];
      expect(kept.outcome).toBeInstanceOf(StoreUnavailableError);
      expect(kept.outcome.backend).toBe('redis');
      expect(kept.outcome.message).toContain('operationTimeoutMs');
      expect(kept.ms).toBeGreaterThanOrEqual(1100);
      expect(bounded.outcome).toBeInstanceOf(StoreUnavailableError);
      expect(bounded.outcome.backend).toBe('custom');
      expect(bounded.outcome.message).toContain('storeTimeoutMs');
      expect(bounded.ms).toBeLessThan(1100);
      expect(api.requests).toHaveLength(0);
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it.each([
    ['an AggregateError with an empty message', () => new AggregateError([new Error('connect to redis://:hunter2@10.0.0.9:6379 failed')], '')],
    ['a password only in a cause', () => new Error('write failed', { cause: new Error('POST http://svc:hunter2@records.internal/v1 refused') })],
    ['a password with a raw @ in it', () => new Error('bad URL redis://:hunt@er2@cache:6379')],
  ])('%s: the password is in no text of the StoreUnavailableError', async (_name, make) => {
    const api = await startCreates();
    const store = switchableStore();
    store.fail('claim', make());
    const sureFetch = createFetch({ middleware: [idempotency({ store, storeTimeoutMs: timeoutMs })] });
    const error = (await sureFetch(`${api.url}/v1/orders`, post('order-8')).catch((e: unknown) => e)) as StoreUnavailableError;
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(inspect(error, { depth: 10 })).not.toMatch(/hunter2|hunt@|er2@/);
    expect(api.requests).toHaveLength(0);
  });

  it("a built-in store's StoreUnavailableError passed up by a wrapper keeps its backend, and a 60,000-character error costs no more than a short one", async () => {
    const api = await startCreates();
    const own = new StoreUnavailableError({ backend: 'redis', operation: 'claim', target: 'redis://:***@cache:6379', reason: 'no answer' });
    const wrapper = switchableStore();
    wrapper.fail('claim', own);
    const passed = await createFetch({ middleware: [idempotency({ store: wrapper, storeTimeoutMs: timeoutMs })] })(`${api.url}/v1/orders`, post('order-9')).catch((e: unknown) => e);
    expect(passed).toBe(own);
    const long = switchableStore();
    long.fail('claim', new Error(`token ${'a'.repeat(60_000)} rejected`));
    const { ms, outcome } = await timed(() => createFetch({ middleware: [idempotency({ store: long, storeTimeoutMs: timeoutMs })] })(`${api.url}/v1/orders`, post('order-10')));
    expect(outcome).toBeInstanceOf(StoreUnavailableError);
    expect(ms).toBeLessThan(timeoutMs);
  });

  it('a store with markAlive: null (plain JavaScript) is read as one without liveness marks', async () => {
    const api = await startCreates();
    const store = { ...switchableStore(), markAlive: null, isAlive: null } as unknown as RequestStore;
    const response = await createFetch({ middleware: [idempotency({ store, storeTimeoutMs: timeoutMs })] })(`${api.url}/v1/orders`, post('order-11'));
    expect(response.status).toBe(201);
  });

  it('a storeTimeoutMs that is not a duration is refused when the middleware is made', () => {
    expect(() => idempotency({ storeTimeoutMs: Number.NaN })).toThrow(RangeError);
    expect(() => idempotency({ storeTimeoutMs: -1 })).toThrow(RangeError);
    expect(() => idempotency({ storeTimeoutMs: '500' as unknown as number })).toThrow(TypeError);
  });
});
