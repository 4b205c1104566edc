import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AmbiguousOutcomeError, HttpError, createFetch, createManualClock, retry, systemClock, type Clock, type SurefetchEvent } from '../src/index.js';
import { idempotency, type ExistenceCheck, type IdempotencyOptions } from '../src/idempotency/idempotency.js';
import { IdempotencyError } from '../src/errors/idempotency-error.js';
import { memoryStore } from '../src/store/memory-store.js';
import type { RequestRecord } from '../src/store/record.js';
import type { KeyvRequestStore } from '../src/store/request-store.js';
import { StoreUnavailableError } from '../src/store/store-unavailable-error.js';
import { startFulfillment, type FulfillmentEmulator } from './emulator/fulfillment.js';
import { fulfillmentOrderLookup } from './support/order-lookup.js';

let api: FulfillmentEmulator;
beforeAll(async () => {
  api = await startFulfillment();
});
afterAll(async () => {
  await api.close();
});
afterEach(() => {
  api.faults.clear();
  api.requests.length = 0;
});

const day = 86_400_000;
const order = (email: string) => ({
  campaignId: 'spring-26',
  shipTo: { name: 'Ada', email, address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' },
  products: [{ sku: 'SKU-1', quantity: 1 }],
});
const creates = (): number => api.requests.filter((r) => r.method === 'POST' && r.path === '/v1/orders/create').length;
const ordersFor = (email: string): number => api.records.orders.filter((o) => o.shipTo.email === email).length;

/** A worker: its own createFetch around a shared store, as a re-run in a new process would have. */
function worker(store: KeyvRequestStore, options: Omit<IdempotencyOptions, 'store'> = {}, extra: { events?: SurefetchEvent[]; clock?: Clock } = {}) {
  const sureFetch = createFetch({
    middleware: [idempotency({ store, ...options }), retry()],
    clock: extra.clock ?? createManualClock(),
    random: () => 0.5,
    onEvent: (event) => extra.events?.push(event),
  });
  return (email: string, scope: string | undefined, body: object = order(email)) =>
    sureFetch(`${api.url}/v1/orders/create`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      surefetch: scope === undefined ? {} : { idempotencyScope: scope },
    });
}

const orderLookup: ExistenceCheck = (ctx, previous, record, tools) => fulfillmentOrderLookup(api.url, api.apiKey)(ctx, previous, record, tools);

function deadWorkersRecord(scope: string, fingerprintOf: RequestRecord, changes: Partial<RequestRecord>): RequestRecord {
  return { ...fingerprintOf, scope, owner: 'dead-worker', leaseUntil: Date.now() - 1, version: fingerprintOf.version + 1, ...changes };
}

describe('idempotency', () => {
  it('replays a stored success to a re-run of the scope without sending anything', async () => {
    const store = memoryStore();
    const events: SurefetchEvent[] = [];
    const first = await worker(store)('replay@example.com', 'job-1:create');
    expect(first.status).toBe(201);
    const created = (await first.json()) as { id: string };
    const again = await worker(store, {}, { events })('replay@example.com', 'job-1:create');
    expect(again.status).toBe(201);
    expect(((await again.json()) as { id: string }).id).toBe(created.id);
    expect(creates()).toBe(1);
    expect(events).toContainEqual(expect.objectContaining({ type: 'recovered', via: 'stored' }));
    expect((await store.get('job-1:create'))?.state).toBe('succeeded');
  });

  it('stores a success without secret or framing headers and with the record written before the send', async () => {
    const store = memoryStore();
    const seen: Array<string | undefined> = [];
    const spy = idempotency({ store });
    const sureFetch = createFetch({
      middleware: [
        spy,
        async (ctx, next) => {
          seen.push((await store.get('job-2:create'))?.state);
          return next(ctx);
        },
      ],
      clock: createManualClock(),
    });
    await sureFetch(`${api.url}/v1/orders/create`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(order('headers@example.com')),
      surefetch: { idempotencyScope: 'job-2:create' },
    });
    expect(seen).toEqual(['pending']);
    const record = await store.get('job-2:create');
    expect(record).toMatchObject({ state: 'succeeded', attempts: 1, lastSent: 'delivered', response: { status: 201, bodyEncoding: 'utf8' } });
    expect(Object.keys(record?.response?.headers ?? {})).not.toContain('content-length');
    expect(JSON.stringify(record)).not.toContain(api.apiKey);
  });

  it('refuses a scope reused for a different request, without sending', async () => {
    const store = memoryStore();
    await worker(store)('one@example.com', 'job-3:create');
    const error = await worker(store)('other@example.com', 'job-3:create').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyError);
    expect(error).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', scope: 'job-3:create' });
    expect(creates()).toBe(1);
  });

  it('sends once when concurrent calls share a scope: the others wait and replay', async () => {
    const store = memoryStore();
    api.faults.script('POST /v1/orders/create', { kind: 'delay', ms: 300 });
    const call = worker(store, { waitForOwnerMs: 5000, pollMs: 20 }, { clock: systemClock });
    const responses = await Promise.all(Array.from({ length: 5 }, () => call('race@example.com', 'job-4:create')));
    const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as { id: string }).id));
    expect(new Set(ids).size).toBe(1);
    expect(creates()).toBe(1);
  });

  it('keeps the claim of a slow call alive past leaseMs, so a waiting call replays instead of taking over', async () => {
    const store = memoryStore();
    api.faults.script('POST /v1/orders/create', { kind: 'delay', ms: 400 });
    const call = worker(store, { leaseMs: 90, waitForOwnerMs: 5000, pollMs: 20 }, { clock: systemClock });
    const first = call('slow@example.com', 'job-4b:create');
    await systemClock.sleep(50);
    const [a, b] = await Promise.all([first, call('slow@example.com', 'job-4b:create')]);
    expect(((await a.json()) as { id: string }).id).toBe(((await b.json()) as { id: string }).id);
    expect(creates()).toBe(1);
  });

  it('answers IDEMPOTENCY_IN_PROGRESS with retryAt when another worker holds a live claim', async () => {
    const store = memoryStore();
    api.faults.script('POST /v1/orders/create', { kind: 'delay', ms: 300 });
    const call = worker(store, {}, { clock: systemClock });
    const results = await Promise.allSettled([call('busy@example.com', 'job-5:create'), call('busy@example.com', 'job-5:create')]);
    const refused = results.find((r) => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(refused?.status === 'rejected' && refused.reason).toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
    expect((refused as PromiseRejectedResult).reason.retryAt).toBeGreaterThan(Date.now());
    expect(creates()).toBe(1);
  });

  it("bounds the wait for another worker's claim by the call's maxWaitMs, not only waitForOwnerMs", async () => {
    const store = memoryStore();
    api.faults.script('POST /v1/orders/create', { kind: 'delay', ms: 1000 });
    const sureFetch = createFetch({ middleware: [idempotency({ store, waitForOwnerMs: 5000, pollMs: 20 }), retry()], maxWaitMs: 100 });
    const create = () =>
      sureFetch(`${api.url}/v1/orders/create`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(order('bounded@example.com')),
        surefetch: { idempotencyScope: 'job-5b:create' },
      });
    const owner = create();
    await systemClock.sleep(50);
    const started = Date.now();
    const waiter = await create().catch((e: unknown) => e);
    const waitedMs = Date.now() - started;
    expect(waiter).toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
    expect(waitedMs).toBeLessThan(900); // the owner answers after ~1000 ms: the waiter did not wait for it
    expect((await owner).status).toBe(201);
    expect(creates()).toBe(1);
  });

  it('recovers a commit-then-500 within one call through the existence check, with no second create', async () => {
    const store = memoryStore();
    api.faults.script('POST /v1/orders/create', { kind: 'commit-then-500' });
    const response = await worker(store, { existenceCheck: orderLookup })('recover@example.com', 'job-6:create');
    expect(response.status).toBe(201);
    expect(creates()).toBe(1);
    expect(ordersFor('recover@example.com')).toBe(1);
    expect((await store.get('job-6:create'))?.state).toBe('succeeded');
  });

  it('re-sends after a reject-500 when the existence check finds nothing', async () => {
    const store = memoryStore();
    api.faults.script('POST /v1/orders/create', { kind: 'reject-500' });
    const response = await worker(store, { existenceCheck: orderLookup })('resend@example.com', 'job-7:create');
    expect(response.status).toBe(201);
    expect(creates()).toBe(2);
    expect(ordersFor('resend@example.com')).toBe(1);
    expect(await store.get('job-7:create')).toMatchObject({ state: 'succeeded', attempts: 2 });
  });

  it('fails closed without a check, and a re-run of the scope fails closed again with the same request id', async () => {
    const store = memoryStore();
    api.faults.script('POST /v1/orders/create', { kind: 'commit-then-500' });
    const first = await worker(store)('closed@example.com', 'job-8:create').catch((e: unknown) => e);
    expect(first).toBeInstanceOf(AmbiguousOutcomeError);
    expect(await store.get('job-8:create')).toMatchObject({ state: 'pending', attempts: 1, lastSent: 'ambiguous' });
    const rerun = await worker(store)('closed@example.com', 'job-8:create').catch((e: unknown) => e);
    expect(rerun).toBeInstanceOf(AmbiguousOutcomeError);
    expect((rerun as AmbiguousOutcomeError).clientRequestId).toBe((first as AmbiguousOutcomeError).clientRequestId);
    expect(creates()).toBe(1);
  });

  it('lets a re-run after a crash between send and answer find the created order instead of creating again', async () => {
    const store = memoryStore();
    const events: SurefetchEvent[] = [];
    await worker(store)('crash@example.com', 'job-9:template');
    const template = (await store.get('job-9:template')) as RequestRecord;
    // The dead worker claimed job-9:create, sent once (the order exists), and died before recording the answer.
    await store.claim(deadWorkersRecord('job-9:create', template, { state: 'pending', attempts: 1, lastSent: 'ambiguous', firstSentAt: Date.now() - 1000, response: undefined }), day);
    const response = await worker(store, { existenceCheck: orderLookup }, { events })('crash@example.com', 'job-9:create');
    expect(response.status).toBe(201);
    expect(creates()).toBe(1);
    expect(ordersFor('crash@example.com')).toBe(1);
    expect(events).toContainEqual(expect.objectContaining({ type: 'recovered', via: 'lookup', clientRequestId: template.clientRequestId }));
    expect((await store.get('job-9:create'))?.state).toBe('succeeded');
  });

  it('takes over an expired claim that never sent, and sends without a check', async () => {
    const store = memoryStore();
    await worker(store)('takeover@example.com', 'job-10:template');
    const template = (await store.get('job-10:template')) as RequestRecord;
    await store.claim(deadWorkersRecord('job-10:create', template, { state: 'pending', attempts: 0, response: undefined, lastSent: undefined }), day);
    const response = await worker(store)('takeover@example.com', 'job-10:create');
    expect(response.status).toBe(201);
    expect(creates()).toBe(2);
    expect(await store.get('job-10:create')).toMatchObject({ state: 'succeeded', clientRequestId: template.clientRequestId });
  });

  it('records a terminal 400 and refuses a re-run with PREVIOUSLY_FAILED', async () => {
    const store = memoryStore();
    const bad = { campaignId: 'spring-26', shipTo: { email: 'not-an-email' }, products: [] };
    const first = await worker(store)('x', 'job-11:create', bad).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(HttpError);
    expect(await store.get('job-11:create')).toMatchObject({ state: 'failed', error: { status: 400 } });
    const rerun = await worker(store)('x', 'job-11:create', bad).catch((e: unknown) => e);
    expect(rerun).toMatchObject({ code: 'PREVIOUSLY_FAILED', previous: { status: 400 } });
    expect(creates()).toBe(1);
  });

  it('sends the client request id as the idempotency key on every attempt and re-sends under it', async () => {
    const store = memoryStore();
    api.faults.script('POST /v1/orders/create', { kind: 'reject-500' });
    await worker(store, { keyHeader: 'Idempotency-Key' })('key@example.com', 'job-12:create');
    const keys = api.requests.map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe((await store.get('job-12:create'))?.clientRequestId);
    expect(keys[1]).toBe(keys[0]);
  });

  it('guards calls without a scope too: the key header and the existence check apply', async () => {
    api.faults.script('POST /v1/orders/create', { kind: 'commit-then-500' });
    const response = await worker(memoryStore(), { existenceCheck: orderLookup })('noscope@example.com', undefined);
    expect(response.status).toBe(201);
    expect(creates()).toBe(1);
  });

  it('sends nothing when the store is unavailable', async () => {
    const store = memoryStore();
    await store.close();
    const error = await worker(store)('down@example.com', 'job-13:create').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(creates()).toBe(0);
  });

  it('stores a success too large to replay without its body, and says so on a re-run', async () => {
    const store = memoryStore();
    await worker(store, { maxStoredBodyBytes: 10 })('big@example.com', 'job-14:create');
    expect((await store.get('job-14:create'))?.response).toBeUndefined();
    const rerun = await worker(store)('big@example.com', 'job-14:create').catch((e: unknown) => e);
    expect(rerun).toMatchObject({ code: 'REPLAY_UNAVAILABLE' });
    expect(creates()).toBe(1);
  });

  it('leaves idempotent requests alone', async () => {
    const store = memoryStore();
    const sureFetch = createFetch({ middleware: [idempotency({ store }), retry()], clock: createManualClock() });
    const response = await sureFetch(`${api.url}/v1/orders/list`, { headers: { Authorization: `Bearer ${api.apiKey}` }, surefetch: { idempotencyScope: 'job-15:list' } });
    expect(response.status).toBe(200);
    expect(await store.get('job-15:list')).toBeUndefined();
  });
});
