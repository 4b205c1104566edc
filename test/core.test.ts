import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AmbiguousOutcomeError,
  AuthError,
  BodyNotReplayableError,
  HttpError,
  NetworkError,
  RetryLaterError,
  createFetch,
  createManualClock,
  retry,
  type Middleware,
  type SurefetchEvent,
} from '../src/index.js';
import { startFulfillment, type FulfillmentEmulator } from './emulator/fulfillment.js';
import { startWarehouse, type WarehouseEmulator } from './emulator/warehouse.js';

let fulfillment: FulfillmentEmulator;
let warehouse: WarehouseEmulator;

beforeAll(async () => {
  fulfillment = await startFulfillment();
  warehouse = await startWarehouse();
});
afterAll(async () => {
  await fulfillment.close();
  await warehouse.close();
});
afterEach(() => {
  fulfillment.faults.clear();
  warehouse.faults.clear();
  fulfillment.requests.length = 0;
  warehouse.requests.length = 0;
});

const order = (email = 'ada@example.com') => ({
  campaignId: 'spring-26',
  shipTo: { name: 'Ada', email, address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' },
  products: [{ sku: 'SKU-1', quantity: 1 }],
});

function fulfillmentFetch(extra: { middleware?: Middleware[]; events?: SurefetchEvent[]; clock?: ReturnType<typeof createManualClock> } = {}) {
  const clock = extra.clock ?? createManualClock();
  const sureFetch = createFetch({
    middleware: extra.middleware ?? [retry()],
    clock,
    random: () => 0.5,
    onEvent: (event) => extra.events?.push(event),
    routes: [{ method: 'POST', path: '/v1/orders/cancel', idempotent: true }],
  });
  const call = (path: string, init: RequestInit & { surefetch?: object } = {}) =>
    sureFetch(`${fulfillment.url}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${fulfillment.apiKey}`, 'Content-Type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
    });
  return { call, clock };
}

const sent = (api: { requests: { method: string; path: string }[] }, method: string, path: string) =>
  api.requests.filter((request) => request.method === method && request.path === path).length;

describe('the seed scenarios', () => {
  it('sends a create answered 400 once and rejects with the parsed field details', async () => {
    const { call } = fulfillmentFetch();
    const bad = { ...order('not-an-email'), shipTo: { ...order().shipTo, email: 'not-an-email', zip: '' } };
    const error = await call('/v1/orders/create', { method: 'POST', body: JSON.stringify(bad) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    const http = error as HttpError;
    expect(http.status).toBe(400);
    expect(http.kind).toBe('validation');
    expect(http.verdict).toBe('terminal');
    expect(http.attempts).toBe(1);
    expect(http.details).toEqual(
      expect.arrayContaining([
        { field: 'shipTo.email', message: expect.stringMatching(/email/i) },
        { field: 'shipTo.zip', message: expect.any(String) },
      ]),
    );
    expect(sent(fulfillment, 'POST', '/v1/orders/create')).toBe(1);
  });

  it('types a bad key\'s plain-text 401 as an auth error, sends it once, and never shows the key', async () => {
    const badKey = 'k'.repeat(96);
    const sureFetch = createFetch({ middleware: [retry()], clock: createManualClock() });
    const error = await sureFetch(`${fulfillment.url}/v1/orders/list?campaignId=x&email=a@b.c`, {
      headers: { Authorization: `Bearer ${badKey}` },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    const auth = error as AuthError;
    expect(auth.status).toBe(401);
    expect(auth.code).toBe('UNAUTHORIZED');
    expect(auth.serverMessage).toBe('Unauthorized');
    expect(sent(fulfillment, 'GET', '/v1/orders/list')).toBe(1);
    expect(JSON.stringify({ ...auth, message: auth.message, stack: auth.stack })).not.toContain(badKey);
  });

  it('waits exactly the RateLimit-Reset of a 429 (2 s on the injected clock) and then succeeds', async () => {
    fulfillment.faults.script('GET /v1/orders/list', { kind: 'respond', status: 429, headers: { 'RateLimit-Reset': '2' }, body: { message: 'Too many requests' } });
    const events: SurefetchEvent[] = [];
    const { call, clock } = fulfillmentFetch({ events });
    const response = await call('/v1/orders/list?campaignId=spring-26&email=ada@example.com');
    expect(response.status).toBe(200);
    expect(clock.sleeps).toEqual([2000]);
    expect(sent(fulfillment, 'GET', '/v1/orders/list')).toBe(2);
    expect(events.find((event) => event.type === 'wait')).toMatchObject({ delayMs: 2000, source: 'ratelimit-reset' });
  });

  it('retries a 500 on a GET with exponential backoff and full jitter', async () => {
    fulfillment.faults.script('GET /v1/orders/list', { kind: 'reject-500' }, { kind: 'reject-500' });
    const { call, clock } = fulfillmentFetch();
    const response = await call('/v1/orders/list?campaignId=spring-26&email=ada@example.com');
    expect(response.status).toBe(200);
    // random() = 0.5 → half of 300 ms, then half of 600 ms
    expect(clock.sleeps).toEqual([150, 300]);
    expect(sent(fulfillment, 'GET', '/v1/orders/list')).toBe(3);
  });

  it('re-sends a POST whose connection was refused, with the same body', async () => {
    await fulfillment.stopListening();
    const reopen: Middleware = async function reopenOnSecondAttempt(ctx, next) {
      if (ctx.attempt === 2) await fulfillment.resumeListening();
      return next(ctx);
    };
    const events: SurefetchEvent[] = [];
    const { call } = fulfillmentFetch({ middleware: [retry(), reopen], events });
    const before = fulfillment.records.orders.length;
    const response = await call('/v1/orders/create', { method: 'POST', body: JSON.stringify(order('refused@example.com')) });
    expect(response.status).toBe(201);
    expect(fulfillment.records.orders.length).toBe(before + 1);
    expect(fulfillment.requests.at(-1)?.body).toMatchObject({ shipTo: { email: 'refused@example.com' } });
    const ends = events.filter((event) => event.type === 'attempt-end');
    expect(ends.map((event) => event.type === 'attempt-end' && event.sent)).toEqual(['not-sent', 'delivered']);
  });

  it('rejects a 500 on an unprotected POST as ambiguous after exactly one send', async () => {
    fulfillment.faults.script('POST /v1/orders/create', { kind: 'commit-then-500' });
    const { call, clock } = fulfillmentFetch();
    const error = await call('/v1/orders/create', { method: 'POST', body: JSON.stringify(order()), surefetch: { clientRequestId: 'req-42' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmbiguousOutcomeError);
    const ambiguous = error as AmbiguousOutcomeError;
    expect(ambiguous.clientRequestId).toBe('req-42');
    expect(ambiguous.status).toBe(500);
    expect(ambiguous.cause).toBeInstanceOf(HttpError);
    expect(sent(fulfillment, 'POST', '/v1/orders/create')).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('rejects the warehouse 409 DUPLICATE envelope with code DUPLICATE and its message', async () => {
    const sureFetch = createFetch({ middleware: [retry()], clock: createManualClock() });
    const create = () =>
      sureFetch(`${warehouse.url}/api/v1/locations/`, {
        method: 'POST',
        headers: { Authorization: `Api-Key ${warehouse.apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ code: 'A-101', name: 'Aisle 1' }),
      });
    expect((await create()).status).toBe(201);
    const error = await create().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).code).toBe('DUPLICATE');
    expect((error as HttpError).status).toBe(409);
    expect((error as HttpError).serverMessage).toContain('A-101');
    expect(sent(warehouse, 'POST', '/api/v1/locations/')).toBe(2);
  });
});

describe('secrets', () => {
  it('keeps the API key out of every event and error, whether it travels in a header or the query', async () => {
    const secretKey = fulfillment.apiKey;
    const events: SurefetchEvent[] = [];
    const sureFetch = createFetch({ middleware: [retry({ maxAttempts: 2 })], clock: createManualClock(), onEvent: (event) => events.push(event) });
    fulfillment.faults.script('GET /v1/orders/list', { kind: 'respond', status: 500, body: { message: `key ${secretKey} rejected` } }, { kind: 'respond', status: 500, body: { message: `Bearer ${secretKey}` } });
    const error = await sureFetch(`${fulfillment.url}/v1/orders/list?campaignId=x&email=a@b.c&api_key=${secretKey}`, {
      headers: { Authorization: `Bearer ${secretKey}` },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    const http = error as HttpError;
    const everything = JSON.stringify(events) + JSON.stringify({ ...http }) + http.message + http.body + String(http.stack);
    expect(events.length).toBeGreaterThan(3);
    expect(everything).not.toContain(secretKey);
  });
});

describe('retry safety', () => {
  it('retries a route declared safe to repeat (POST /v1/orders/cancel) after a 500', async () => {
    const { call } = fulfillmentFetch();
    const created = (await (await call('/v1/orders/create', { method: 'POST', body: JSON.stringify(order('cancel@example.com')) })).json()) as { id: string };
    fulfillment.faults.script('POST /v1/orders/cancel', { kind: 'reject-500' });
    const response = await call('/v1/orders/cancel', { method: 'POST', body: JSON.stringify({ orderId: created.id }) });
    expect(response.status).toBe(201);
    expect(sent(fulfillment, 'POST', '/v1/orders/cancel')).toBe(2);
  });

  it('rejects a reset after commit on a POST as ambiguous without a re-send', async () => {
    fulfillment.faults.script('POST /v1/orders/create', { kind: 'commit-then-reset' });
    const { call } = fulfillmentFetch();
    const error = await call('/v1/orders/create', { method: 'POST', body: JSON.stringify(order()) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmbiguousOutcomeError);
    expect((error as AmbiguousOutcomeError).cause).toBeInstanceOf(NetworkError);
    expect(sent(fulfillment, 'POST', '/v1/orders/create')).toBe(1);
  });

  it('retries a GET whose attempt stalled past the per-attempt timeout', async () => {
    fulfillment.faults.script('GET /v1/orders/list', { kind: 'commit-then-stall' });
    const sureFetch = createFetch({ middleware: [retry()], clock: createManualClock(), attemptTimeoutMs: 200 });
    const response = await sureFetch(`${fulfillment.url}/v1/orders/list?campaignId=x&email=a@b.c`, { headers: { Authorization: `Bearer ${fulfillment.apiKey}` } });
    expect(response.status).toBe(200);
    expect(sent(fulfillment, 'GET', '/v1/orders/list')).toBe(2);
  });

  it('honours a 503 Retry-After as a wait even for a POST (the server did not process it)', async () => {
    fulfillment.faults.script('POST /v1/orders/create', { kind: 'respond', status: 503, headers: { 'Retry-After': '3' } });
    const { call, clock } = fulfillmentFetch();
    const response = await call('/v1/orders/create', { method: 'POST', body: JSON.stringify(order('wait@example.com')) });
    expect(response.status).toBe(201);
    expect(clock.sleeps).toEqual([3000]);
  });

  it('lets the caller read a body after the per-attempt timeout has passed', async () => {
    const sureFetch = createFetch({ middleware: [retry()], attemptTimeoutMs: 100 });
    const response = await sureFetch(`${fulfillment.url}/v1/orders/list?campaignId=x&email=a@b.c`, { headers: { Authorization: `Bearer ${fulfillment.apiKey}` } });
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await response.json()).toEqual([]);
  });

  it('rejects at once with retryAt when the server asks for a wait beyond maxWaitMs', async () => {
    fulfillment.faults.script('GET /v1/orders/list', { kind: 'respond', status: 429, headers: { 'Retry-After': '3600' } });
    const clock = createManualClock();
    const sureFetch = createFetch({ middleware: [retry({ maxWaitMs: 30_000 })], clock });
    const error = await sureFetch(`${fulfillment.url}/v1/orders/list?campaignId=x&email=a@b.c`, { headers: { Authorization: `Bearer ${fulfillment.apiKey}` } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryLaterError);
    expect((error as RetryLaterError).retryAt).toBe(clock.now() + 3_600_000);
    expect((error as RetryLaterError).cause).toBeInstanceOf(HttpError);
    expect(clock.sleeps).toEqual([]);
    expect(sent(fulfillment, 'GET', '/v1/orders/list')).toBe(1);
  });

  it('rejects a wait that would pass the call deadline instead of sleeping', async () => {
    fulfillment.faults.script('GET /v1/orders/list', { kind: 'respond', status: 429, headers: { 'RateLimit-Reset': '10' } });
    const { call, clock } = fulfillmentFetch();
    const error = await call('/v1/orders/list?campaignId=x&email=a@b.c', { surefetch: { deadlineMs: 5000 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryLaterError);
    expect(clock.sleeps).toEqual([]);
  });

  it('does not retry a one-shot stream body, and says so', async () => {
    fulfillment.faults.script('POST /v1/orders/cancel', { kind: 'reject-500' });
    const { call } = fulfillmentFetch();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(JSON.stringify({ orderId: 'nope' })));
        controller.close();
      },
    });
    const error = await call('/v1/orders/cancel', { method: 'POST', body, duplex: 'half' } as RequestInit).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BodyNotReplayableError);
    expect(sent(fulfillment, 'POST', '/v1/orders/cancel')).toBe(1);
  });

  it('stops a backoff at once when the caller aborts', async () => {
    fulfillment.faults.script('GET /v1/orders/list', { kind: 'reject-500' });
    const sureFetch = createFetch({ middleware: [retry({ baseDelayMs: 60_000 })], random: () => 1 });
    const controller = new AbortController();
    const started = Date.now();
    const pending = sureFetch(`${fulfillment.url}/v1/orders/list?campaignId=x&email=a@b.c`, {
      headers: { Authorization: `Bearer ${fulfillment.apiKey}` },
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('shutting down')), 50);
    await expect(pending).rejects.toThrow('shutting down');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(sent(fulfillment, 'GET', '/v1/orders/list')).toBe(1);
  });

  it('gives up after maxAttempts with the last error and its attempt count', async () => {
    fulfillment.faults.script('GET /v1/orders/list', { kind: 'reject-500' }, { kind: 'reject-500' }, { kind: 'reject-500' });
    const events: SurefetchEvent[] = [];
    const sureFetch = createFetch({ middleware: [retry({ maxAttempts: 3 })], clock: createManualClock(), onEvent: (event) => events.push(event) });
    const error = await sureFetch(`${fulfillment.url}/v1/orders/list?campaignId=x&email=a@b.c`, { headers: { Authorization: `Bearer ${fulfillment.apiKey}` } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).attempts).toBe(3);
    expect(events.filter((event) => event.type === 'give-up')).toMatchObject([{ attempt: 3, errorCode: 'INTERNAL_SERVER_ERROR' }]);
    expect((error as HttpError).code).toBe('INTERNAL_SERVER_ERROR');
    expect(sent(fulfillment, 'GET', '/v1/orders/list')).toBe(3);
  });

  it('summarizes a proxy\'s HTML 502 page instead of carrying the page in the message', async () => {
    fulfillment.faults.script('GET /v1/orders/list', { kind: 'proxy-502' }, { kind: 'proxy-502' });
    const sureFetch = createFetch({ middleware: [retry({ maxAttempts: 2 })], clock: createManualClock() });
    const error = (await sureFetch(`${fulfillment.url}/v1/orders/list?campaignId=x&email=a@b.c`, { headers: { Authorization: `Bearer ${fulfillment.apiKey}` } }).catch((e: unknown) => e)) as HttpError;
    expect(error.status).toBe(502);
    expect(error.serverMessage).toMatch(/bad gateway/i);
    expect(error.serverMessage).not.toContain('<');
  });
});
