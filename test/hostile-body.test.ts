import { afterEach, describe, expect, it } from 'vitest';
import {
  BodyTimeoutError,
  ExistenceCheckError,
  HttpError,
  createFetch,
  createManualClock,
  idempotency,
  lookupExistence,
  memoryStore,
  retry,
  warehouseOrders,
} from '../src/index.js';
import type { HostileServer } from './hostile/server.js';
import { startStalledBodyServer } from './hostile/stalled-body.js';
import { within } from './hostile/within.js';

// Every call below would hang forever without the bound; 5 s is far above the 300 ms bound it
// proves and far below the runner's timeout.
const noHangMs = 5000;
let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('a body that stalls after the headers', () => {
  it('ends an error answer in an HttpError cut at the body timeout, and cancels the body', async () => {
    server = await startStalledBodyServer({ status: 500 });
    const sureFetch = createFetch({ bodyTimeoutMs: 300 });
    const error = await within(sureFetch(`${server.url}/v1/orders/list`), noHangMs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    const http = error as HttpError;
    expect(http.status).toBe(500);
    expect(http.bodyTruncated).toBe(true);
    expect(http.body).toBe('{"message":"');
    expect(http.cause).toBeInstanceOf(BodyTimeoutError);
    expect((http.cause as BodyTimeoutError).timeoutMs).toBe(300);
    const [seen] = server.requests;
    await within(server.hangUp(seen!), noHangMs);
    expect(seen!.hungUp).toBe(true);
  });

  it('bounds the read of a terminal error body inside retry by the call deadline', async () => {
    server = await startStalledBodyServer({ status: 400 });
    const sureFetch = createFetch({ middleware: [retry()], deadlineMs: 300 });
    const error = await within(sureFetch(`${server.url}/v1/orders/create`, { method: 'POST', body: '{}' }), noHangMs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(400);
    expect((error as HttpError).cause).toBeInstanceOf(BodyTimeoutError);
    expect(server.requests).toHaveLength(1);
  });

  it('rejects with the caller abort reason while an error body stalls', async () => {
    server = await startStalledBodyServer({ status: 502 });
    const sureFetch = createFetch();
    const controller = new AbortController();
    const reason = new Error('shutting down');
    setTimeout(() => controller.abort(reason), 100);
    const error = await within(sureFetch(`${server.url}/v1/orders/list`, { signal: controller.signal }), noHangMs).catch((e: unknown) => e);
    expect(error).toBe(reason);
  });

  it('returns a success whose replay copy stalls, settles the record and releases the scope', async () => {
    server = await startStalledBodyServer({ status: 201 });
    const store = memoryStore();
    const sureFetch = createFetch({ middleware: [idempotency({ store }), retry()], bodyTimeoutMs: 300 });
    const response = await within(
      sureFetch(`${server.url}/v1/orders/create`, { method: 'POST', body: '{}', surefetch: { idempotencyScope: 'job-1:create' } }),
      noHangMs,
    );
    expect(response.status).toBe(201);
    const record = await store.get('job-1:create');
    expect(record?.state).toBe('succeeded');
    expect(record?.response).toBeUndefined();
    expect(record!.leaseUntil).toBeLessThanOrEqual(Date.now());
    await response.body?.cancel();
    await within(server.hangUp(server.requests[0]!), noHangMs);
    expect(server.requests[0]!.hungUp).toBe(true);
  });
});

describe('a body that stalls in the existence check', () => {
  it('fails a lookup whose answer stalls closed, with an ExistenceCheckError, instead of hanging', async () => {
    server = await startStalledBodyServer({
      status: 200,
      prefix: '[{"id":',
      answer: (seen) => (seen.method === 'POST' ? { status: 500, body: '{"message":"Internal error"}' } : undefined),
    });
    const existenceCheck = lookupExistence({
      lookupUrl: ({ url }) => new URL('/v1/orders/list', url),
      candidates: (body) => body as unknown[],
      matches: () => true,
      settleDelaysMs: [0],
    });
    const sureFetch = createFetch({ middleware: [idempotency({ existenceCheck }), retry()], clock: createManualClock(), bodyTimeoutMs: 300 });
    const error = await within(sureFetch(`${server.url}/v1/orders/create`, { method: 'POST', body: '{}' }), noHangMs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExistenceCheckError);
    expect(server.requests.map((seen) => seen.method)).toEqual(['POST', 'GET']);
  });

  it('ends a re-send answered 409 with a stalled body in the HttpError, instead of hanging', async () => {
    let creates = 0;
    server = await startStalledBodyServer({
      status: 409,
      answer: (seen) => {
        if (seen.method === 'GET') return { status: 404, body: '{"success":false,"error":{"code":"NOT_FOUND","message":"No order"}}' };
        creates += 1;
        return creates === 1 ? { status: 500, body: '{"success":false,"error":{"code":"SERVICE_ERROR","message":"boom"}}' } : undefined;
      },
    });
    const sureFetch = createFetch({
      middleware: [idempotency({ existenceCheck: warehouseOrders().check }), retry()],
      clock: createManualClock(),
      bodyTimeoutMs: 300,
    });
    const body = JSON.stringify({ order_number: 'WH-1' });
    const error = await within(sureFetch(`${server.url}/api/v1/orders/`, { method: 'POST', body }), noHangMs).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 409 });
    expect(creates).toBe(2);
  });
});
