/**
 * A call whose identity cannot be kept (a scope that is not well-formed Unicode, a client
 * request id that cannot go in the key header) is refused before anything is claimed or sent,
 * and a failure between the claim and the first send lets the scope go at once: before, the
 * claimed scope's lease was renewed for as long as the process lived, and every re-run was told
 * another worker was running the call (the create was never made).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFetch, idempotency, InvalidRequestError, memoryStore, type ExistenceCheck, type RequestStore } from '../src/index.js';
import { redisStore } from '../src/store/redis-store.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';
import { redisForTests } from './support/services.js';
import { uniqueNamespace } from './support/store-contract.js';

const redis = await redisForTests();
if (redis.skipReason) console.warn(`Unusable-identity test on Redis skipped: ${redis.skipReason}`);
const backends: Array<{ name: string; url: string | undefined; open: () => RequestStore }> = [
  { name: 'memory', url: 'memory', open: () => memoryStore() },
  { name: 'Redis', url: redis.url, open: () => redisStore({ url: redis.url ?? '', namespace: uniqueNamespace() }) },
];

let server: HostileServer | undefined;
let store: RequestStore | undefined;
afterEach(async () => {
  await server?.close();
  await (store as { close?: () => Promise<void> } | undefined)?.close?.();
  server = undefined;
  store = undefined;
});

function startCreatesServer(): Promise<HostileServer> {
  return startHostileServer((_seen, response) => {
    response.writeHead(201, { 'content-type': 'application/json' });
    response.end('{"id":"ord_1"}');
  });
}

const post = (scope: string, clientRequestId?: string): RequestInit & { surefetch: object } => ({
  method: 'POST',
  body: '{"sku":"SKU-1"}',
  headers: { 'content-type': 'application/json' },
  surefetch: { idempotencyScope: scope, ...(clientRequestId === undefined ? {} : { clientRequestId }) },
});

describe.each(backends)('a scope cut inside an emoji, on $name', (backend) => {
  it.skipIf(!backend.url)('is refused with InvalidRequestError, nothing sent, and its well-formed neighbour is not affected', async () => {
    server = await startCreatesServer();
    store = backend.open();
    const sureFetch = createFetch({ middleware: [idempotency({ store })] });
    const cut = 'order:Café 😀'.slice(0, 12);
    const other = 'order:Café 🌍'.slice(0, 12);
    expect(cut).not.toBe(other);
    for (const scope of [cut, other]) {
      const error = await sureFetch(`${server.url}/v1/orders`, post(scope)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect((error as Error).message).toContain('nothing was sent');
    }
    expect(server.requests).toHaveLength(0);
    const whole = await sureFetch(`${server.url}/v1/orders`, post('order:Café 😀'));
    expect(whole.status).toBe(201);
    expect(server.requests).toHaveLength(1);
  });
});

describe('a client request id the key header cannot carry', () => {
  it('is refused with InvalidRequestError before the scope is claimed: a re-run with a usable id creates the order at once', async () => {
    server = await startCreatesServer();
    store = memoryStore();
    const sureFetch = createFetch({ middleware: [idempotency({ store, keyHeader: 'Idempotency-Key' })] });
    const error = await sureFetch(`${server.url}/v1/orders`, post('order:42', 'заказ-42')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(await store.get('order:42')).toBeUndefined();
    const rerun = await sureFetch(`${server.url}/v1/orders`, post('order:42'));
    expect(rerun.status).toBe(201);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.headers['idempotency-key']).toBeTypeOf('string');
  });

  it('is sent as it is when the caller set the key header itself (the id is then not sent)', async () => {
    server = await startCreatesServer();
    const sureFetch = createFetch({ middleware: [idempotency({ keyHeader: 'Idempotency-Key' })] });
    const init = post('order:43', 'заказ-43');
    const response = await sureFetch(`${server.url}/v1/orders`, { ...init, headers: { 'content-type': 'application/json', 'idempotency-key': 'order-43' } });
    expect(response.status).toBe(201);
    expect(server.requests[0]?.headers['idempotency-key']).toBe('order-43');
  });
});

describe('a failure between the claim and the first send', () => {
  it("lets the scope go: the check's prepare throws once, the re-run takes the scope at once and creates the order", async () => {
    server = await startCreatesServer();
    store = memoryStore();
    let failures = 1;
    const check = Object.assign(async () => ({ action: 'resend' as const }), {
      prepare: (request: Parameters<NonNullable<ExistenceCheck['prepare']>>[0]) => {
        if (failures > 0) {
          failures -= 1;
          throw new Error('prepare failed');
        }
        return request;
      },
    }) as ExistenceCheck;
    const sureFetch = createFetch({ middleware: [idempotency({ store, existenceCheck: check })] });
    const error = await sureFetch(`${server.url}/v1/orders`, post('order:44')).catch((e: unknown) => e);
    expect((error as Error).message).toBe('prepare failed');
    const record = await store.get('order:44');
    expect(record?.attempts).toBe(0);
    expect(record?.leaseUntil).toBeLessThanOrEqual(Date.now());
    const started = Date.now();
    const rerun = await sureFetch(`${server.url}/v1/orders`, post('order:44'));
    expect(rerun.status).toBe(201);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
  });
});
