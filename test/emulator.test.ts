import { afterEach, describe, expect, it } from 'vitest';
import {
  closedPortUrl,
  startFulfillment,
  startWarehouse,
  type FaultMix,
  type FulfillmentEmulator,
  type WarehouseEmulator,
} from './emulator/index.js';

const running: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()));
});

async function fulfillment(options: Parameters<typeof startFulfillment>[0] = {}): Promise<FulfillmentEmulator> {
  const emulator = await startFulfillment(options);
  running.push(emulator);
  return emulator;
}

async function warehouse(options: Parameters<typeof startWarehouse>[0] = {}): Promise<WarehouseEmulator> {
  const emulator = await startWarehouse(options);
  running.push(emulator);
  return emulator;
}

function bearer(api: FulfillmentEmulator): Record<string, string> {
  return { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' };
}

function apiKey(api: WarehouseEmulator, key = api.apiKey): Record<string, string> {
  return { Authorization: `Api-Key ${key}`, 'Content-Type': 'application/json' };
}

function orderBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    campaignId: 'cmp_1',
    shipTo: { name: 'Ada', email: 'Ada@Example.com', address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' },
    products: [{ sku: 'TSHIRT-M', quantity: 1 }],
    externalRef: 'req-1',
    ...overrides,
  };
}

function createOrder(api: FulfillmentEmulator, init: RequestInit = {}, body = orderBody()): Promise<Response> {
  return fetch(`${api.url}/v1/orders/create`, { method: 'POST', headers: bearer(api), body: JSON.stringify(body), ...init });
}

function createWarehouseOrder(api: WarehouseEmulator, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${api.url}/api/v1/orders/`, { method: 'POST', headers: apiKey(api), body: JSON.stringify(body) });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function networkErrorCode(promise: Promise<unknown>): Promise<string | undefined> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(Error);
  return ((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name) || undefined;
}

describe('fulfillment emulator', () => {
  it('creates, reads and lists orders, logging requests with the key redacted', async () => {
    const api = await fulfillment();
    const created = await createOrder(api);
    expect(created.status).toBe(201);
    const order = (await created.json()) as { id: string; status: string; externalRef: string; createdAt: string };
    expect(order).toMatchObject({ campaignId: 'cmp_1', status: 'pending', externalRef: 'req-1' });
    expect(new Date(order.createdAt).toISOString()).toBe(order.createdAt);

    const read = await fetch(`${api.url}/v1/orders/${order.id}`, { headers: bearer(api) });
    expect(await read.json()).toEqual(order);
    const list = await fetch(`${api.url}/v1/orders/list?campaignId=cmp_1&email=ada@EXAMPLE.com`, { headers: bearer(api) });
    expect(await list.json()).toEqual([order]);
    const other = await fetch(`${api.url}/v1/orders/list?campaignId=cmp_2`, { headers: bearer(api) });
    expect(await other.json()).toEqual([]);

    expect(api.requests[0]).toMatchObject({ method: 'POST', path: '/v1/orders/create', routeKey: 'POST /v1/orders/create', status: 201 });
    expect(api.requests[0]?.headers.authorization).toBe('[redacted]');
    expect(api.requests[0]?.body).toEqual(orderBody());
    expect(api.requests[2]?.query).toEqual({ campaignId: 'cmp_1', email: 'ada@EXAMPLE.com' });
    expect(api.stats).toMatchObject({ requests: 4, creates: 1, byStatus: { 201: 1, 200: 3 } });
  });

  it('creates a second order and a second contact when the same body is sent twice', async () => {
    const api = await fulfillment();
    await createOrder(api);
    await createOrder(api);
    const contact = { email: 'bob@example.com', name: 'Bob' };
    for (let i = 0; i < 2; i += 1) {
      const response = await fetch(`${api.url}/v1/contacts/create`, { method: 'POST', headers: bearer(api), body: JSON.stringify(contact) });
      expect(response.status).toBe(201);
    }
    expect(api.records.orders.map((order) => order.id)).toEqual(['ord_000001', 'ord_000002']);
    expect(api.records.contacts).toHaveLength(2);
    const contacts = await fetch(`${api.url}/v1/contacts/list?email=BOB@example.com`, { headers: bearer(api) });
    expect(await contacts.json()).toHaveLength(2);
  });

  it.each([
    ['no header', {}],
    ['another scheme', { Authorization: 'Basic abc' }],
    ['a short key', { Authorization: 'Bearer abc' }],
    ['an unknown 96-character key', { Authorization: `Bearer ${'x'.repeat(96)}` }],
  ])('answers a plain-text 401 for %s, before routing', async (_, headers) => {
    const api = await fulfillment();
    for (const path of ['/v1/orders/list', '/v1/nowhere']) {
      const response = await fetch(`${api.url}${path}`, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await response.text()).toBe('Unauthorized');
    }
  });

  it('accepts extra 96-character keys given as options', async () => {
    const extra = 'k'.repeat(96);
    const api = await fulfillment({ apiKeys: [extra] });
    const response = await fetch(`${api.url}/v1/orders/list`, { headers: { Authorization: `Bearer ${extra}` } });
    expect(response.status).toBe(200);
  });

  it('answers validation, malformed-JSON and not-found errors as { message }', async () => {
    const api = await fulfillment();
    const invalid = await createOrder(api, {}, orderBody({ shipTo: { ...(orderBody().shipTo as object), email: 'nope', zip: '' }, products: [] }));
    expect(invalid.status).toBe(400);
    const body = (await invalid.json()) as { message: string; errors: string[] };
    expect(body.message).toBe('Invalid request body');
    expect(body.errors).toContain('shipTo.email: Invalid email');
    expect(body.errors.map((error) => error.split(':')[0])).toEqual(['shipTo.zip', 'shipTo.email', 'products']);

    const malformed = await fetch(`${api.url}/v1/orders/create`, { method: 'POST', headers: bearer(api), body: '{"campaignId":' });
    expect([malformed.status, await malformed.json()]).toEqual([400, { message: 'Malformed JSON' }]);
    const unknownOrder = await fetch(`${api.url}/v1/orders/ord_999`, { headers: bearer(api) });
    expect([unknownOrder.status, await unknownOrder.json()]).toEqual([404, { message: 'Order not found' }]);
    const unknownRoute = await fetch(`${api.url}/v1/widgets`, { headers: bearer(api) });
    expect([unknownRoute.status, await unknownRoute.json()]).toEqual([404, { message: 'Not found' }]);
    expect(api.records.orders).toHaveLength(0);
  });

  it('cancels a pending order once and refuses a second cancel without an errors array', async () => {
    const api = await fulfillment();
    const { id } = (await (await createOrder(api)).json()) as { id: string };
    const cancel = (orderId: string): Promise<Response> =>
      fetch(`${api.url}/v1/orders/cancel`, { method: 'POST', headers: bearer(api), body: JSON.stringify({ orderId }) });
    const first = await cancel(id);
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ message: 'Order cancelled', order: { id, status: 'cancelled' } });
    const second = await cancel(id);
    expect([second.status, await second.json()]).toEqual([400, { message: 'Order already shipped' }]);
    expect((await cancel('ord_404')).status).toBe(404);
  });

  it('paginates lists and hides records younger than listLagMs on the injected clock', async () => {
    let now = 1_000_000;
    const api = await fulfillment({ clock: () => now, listLagMs: 500 });
    for (let i = 0; i < 3; i += 1) await createOrder(api);
    const list = async (query: string): Promise<unknown[]> =>
      (await (await fetch(`${api.url}/v1/orders/list?${query}`, { headers: bearer(api) })).json()) as unknown[];
    expect(await list('campaignId=cmp_1')).toEqual([]);
    now += 499;
    expect(await list('campaignId=cmp_1')).toEqual([]);
    now += 1;
    expect(await list('campaignId=cmp_1')).toHaveLength(3);
    expect(await list('page=2&pageSize=2')).toEqual([expect.objectContaining({ id: 'ord_000003' })]);
    expect(await list('page=3&pageSize=2')).toEqual([]);
    expect((await fetch(`${api.url}/v1/orders/ord_000001`, { headers: bearer(api) })).status).toBe(200);
  });
});

describe('warehouse emulator', () => {
  const item = { sku_code: 'SKU-1', quantity: 2 };

  it('creates an order in the success envelope and answers 409 DUPLICATE when it is sent again', async () => {
    const api = await warehouse();
    const body = { order_number: 'ERP-1', items: [item], reference: 'req-1' };
    const created = await createWarehouseOrder(api, body);
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ success: true, data: { id: 1, order_number: 'ERP-1', items: [item], status: 'pending' } });
    const again = await createWarehouseOrder(api, body);
    expect([again.status, await again.json()]).toEqual([
      409,
      { success: false, error: { code: 'DUPLICATE', message: 'Order with order_number "ERP-1" already exists.' } },
    ]);
    const read = await fetch(`${api.url}/api/v1/orders/ERP-1/`, { headers: apiKey(api) });
    expect(await read.json()).toMatchObject({ success: true, data: { order_number: 'ERP-1', reference: 'req-1' } });
    const missing = await fetch(`${api.url}/api/v1/orders/ERP-9/`, { headers: apiKey(api) });
    expect([missing.status, await missing.json()]).toEqual([404, { success: false, error: { code: 'NOT_FOUND', message: 'Order not found: ERP-9' } }]);
    expect(api.records.orders).toHaveLength(1);
  });

  it('answers DRF auth errors: 403 without a key, 401 for an unknown key, 403 for a missing scope', async () => {
    const api = await warehouse({ keys: [{ key: 'read-only', scopes: ['orders:read'] }] });
    const list = (headers: Record<string, string>, method = 'GET'): Promise<Response> =>
      fetch(`${api.url}/api/v1/orders/`, { method, headers, ...(method === 'POST' ? { body: '{}' } : {}) });
    const none = await list({});
    expect([none.status, await none.json()]).toEqual([403, { detail: 'Authentication credentials were not provided.' }]);
    const unknown = await list(apiKey(api, 'nope'));
    expect([unknown.status, await unknown.json()]).toEqual([401, { detail: 'Invalid API key.' }]);
    expect((await list(apiKey(api, 'read-only'))).status).toBe(200);
    const scoped = await list(apiKey(api, 'read-only'), 'POST');
    expect([scoped.status, await scoped.json()]).toEqual([403, { detail: 'You do not have permission to perform this action.' }]);
  });

  it('answers VALIDATION_ERROR with field details, SERVICE_ERROR for an unknown SKU and 422 MAPPING_ERROR', async () => {
    const api = await warehouse();
    const invalid = await createWarehouseOrder(api, { items: [] });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({
      success: false,
      error: { code: 'VALIDATION_ERROR', details: [{ field: 'order_number', message: 'This field is required.' }, { field: 'items' }] },
    });
    const sku = await createWarehouseOrder(api, { order_number: 'ERP-2', items: [{ sku_code: 'SKU-X', quantity: 1 }] });
    expect([sku.status, await sku.json()]).toEqual([400, { success: false, error: { code: 'SERVICE_ERROR', message: 'SKU not found: SKU-X' } }]);
    const product = await fetch(`${api.url}/api/v1/products/`, { method: 'POST', headers: apiKey(api), body: JSON.stringify({ sku_code: 'SKU-X', name: 'X' }) });
    expect(product.status).toBe(201);
    expect((await createWarehouseOrder(api, { order_number: 'ERP-2', items: [{ sku_code: 'SKU-X', quantity: 1 }] })).status).toBe(201);

    const inbound = (body: unknown): Promise<Response> => fetch(`${api.url}/api/v1/inbound/`, { method: 'POST', headers: apiKey(api), body: JSON.stringify(body) });
    const mapping = await inbound({ mapping_fail: true });
    expect(mapping.status).toBe(422);
    expect(await mapping.json()).toMatchObject({ success: false, error: { code: 'MAPPING_ERROR' } });
    expect((await inbound({ po: 'PO-1' })).status).toBe(201);

    const location = (): Promise<Response> =>
      fetch(`${api.url}/api/v1/locations/`, { method: 'POST', headers: apiKey(api), body: JSON.stringify({ code: 'A-101', name: 'Aisle' }) });
    expect((await location()).status).toBe(201);
    const duplicate = await location();
    expect([duplicate.status, await duplicate.json()]).toEqual([
      409,
      { success: false, error: { code: 'DUPLICATE', message: 'A location with code "A-101" already exists.' } },
    ]);
  });

  it('routes only with the trailing slash and answers an unknown route with 404 before auth', async () => {
    const api = await warehouse();
    const noSlash = await fetch(`${api.url}/api/v1/orders`, { headers: apiKey(api) });
    expect(noSlash.status).toBe(404);
    expect((await fetch(`${api.url}/api/v1/nowhere/`)).status).toBe(404);
  });

  it('paginates DRF-style with absolute next/previous links and honours list lag', async () => {
    let now = 5_000;
    const api = await warehouse({ clock: { now: () => now }, listLagMs: 100 });
    for (let n = 1; n <= 3; n += 1) await createWarehouseOrder(api, { order_number: `ERP-${n}`, items: [item] });
    const page = async (query: string): Promise<{ status: number; body: Record<string, unknown> }> => {
      const response = await fetch(`${api.url}/api/v1/orders/?${query}`, { headers: apiKey(api) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    expect((await page('')).body).toEqual({ count: 0, next: null, previous: null, results: [] });
    now += 100;
    const first = await page('page_size=2');
    expect(first.body).toMatchObject({ count: 3, next: `${api.url}/api/v1/orders/?page_size=2&page=2`, previous: null });
    const second = await page('page_size=2&page=2');
    expect(second.body).toMatchObject({ count: 3, next: null, previous: `${api.url}/api/v1/orders/?page_size=2&page=1` });
    expect((await page('order_number=ERP-2')).body).toMatchObject({ count: 1 });
    expect(await page('page=5')).toEqual({ status: 404, body: { detail: 'Invalid page.' } });
  });
});

describe('scripted faults', () => {
  const create = 'POST /v1/orders/create';

  it('commit-then-500 stores the order and answers a 500 whose message varies in case', async () => {
    const api = await fulfillment();
    api.faults.script(create, { kind: 'commit-then-500' }, { kind: 'reject-500' }, { kind: 'reject-500' });
    const messages: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const response = await createOrder(api);
      expect(response.status).toBe(500);
      messages.push(((await response.json()) as { message: string }).message);
    }
    expect(messages).toEqual(['Internal server error', 'Internal Server Error', 'Request failed']);
    expect(api.records.orders).toHaveLength(1);
    expect(api.requests.map((request) => request.fault?.kind)).toEqual(['commit-then-500', 'reject-500', 'reject-500']);
  });

  it('commit-then-reset stores the order while the client sees the connection drop', async () => {
    const api = await fulfillment();
    api.faults.script(create, { kind: 'commit-then-reset' });
    expect(await networkErrorCode(createOrder(api))).toBe('ECONNRESET');
    expect(api.records.orders).toHaveLength(1);
    expect(api.requests[0]?.reset).toBe(true);
    expect(api.requests[0]?.status).toBeUndefined();
    expect(api.stats.resets).toBe(1);
    expect((await createOrder(api)).status).toBe(201);
  });

  it('reset-before-commit drops the connection without storing anything', async () => {
    const api = await fulfillment();
    api.faults.script(create, { kind: 'reset-before-commit' });
    expect(await networkErrorCode(createOrder(api))).toBe('ECONNRESET');
    expect(api.records.orders).toHaveLength(0);
  });

  it('commit-then-stall stores the order and answers nothing until the client gives up', async () => {
    const api = await fulfillment();
    api.faults.script(create, { kind: 'commit-then-stall' });
    expect(await networkErrorCode(createOrder(api, { signal: AbortSignal.timeout(100) }))).toBe('TimeoutError');
    expect(api.records.orders).toHaveLength(1);
  });

  it('commit-then-stall with stallMs answers normally after the stall', async () => {
    const api = await fulfillment();
    api.faults.script(create, { kind: 'commit-then-stall', stallMs: 50 });
    const response = await createOrder(api);
    expect(response.status).toBe(201);
    expect(api.records.orders).toHaveLength(1);
  });

  it('commit-late answers 500 at once and stores the order only after commitDelayMs', async () => {
    const api = await fulfillment();
    api.faults.script(create, { kind: 'commit-late', commitDelayMs: 250 });
    expect((await createOrder(api)).status).toBe(500);
    const look = await fetch(`${api.url}/v1/orders/list?campaignId=cmp_1`, { headers: bearer(api) });
    expect(await look.json()).toEqual([]);
    expect(api.records.orders).toHaveLength(0);
    await sleep(300);
    expect(api.records.orders).toHaveLength(1);
    expect(api.stats.creates).toBe(1);
  });

  it('commit-late with stallMs keeps the client waiting and commits behind its back', async () => {
    const api = await fulfillment();
    api.faults.script(create, { kind: 'commit-late', commitDelayMs: 300, stallMs: 5_000 });
    expect(await networkErrorCode(createOrder(api, { signal: AbortSignal.timeout(50) }))).toBe('TimeoutError');
    expect(api.records.orders).toHaveLength(0);
    await sleep(300);
    expect(api.records.orders).toHaveLength(1);
  });

  it('proxy-502 answers a large HTML page and commits only when asked to', async () => {
    const api = await fulfillment();
    api.faults.script(create, { kind: 'proxy-502' }, { kind: 'proxy-502', commit: true });
    const response = await createOrder(api);
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe('text/html');
    const page = await response.text();
    expect(page.startsWith('<html><head><title>502 Bad Gateway</title>')).toBe(true);
    expect(page.length).toBeGreaterThan(2_000);
    expect(api.records.orders).toHaveLength(0);
    expect((await createOrder(api)).status).toBe(502);
    expect(api.records.orders).toHaveLength(1);
  });

  it('respond answers exactly what was scripted, without rate-limit headers, and applies nothing', async () => {
    const api = await fulfillment({ rateLimit: { limit: 10, windowMs: 1_000 } });
    api.faults.script(
      create,
      { kind: 'respond', status: 429, headers: { 'RateLimit-Reset': '2' }, body: { message: 'Too many requests' } },
      { kind: 'respond', status: 503, body: '{"message": "trunc' },
    );
    const limited = await createOrder(api);
    expect([limited.status, limited.headers.get('ratelimit-reset'), limited.headers.get('ratelimit-remaining')]).toEqual([429, '2', null]);
    const broken = await createOrder(api);
    expect([broken.status, await broken.text()]).toEqual([503, '{"message": "trunc']);
    expect(api.records.orders).toHaveLength(0);
    expect(api.stats.tooManyRequests).toBe(1);
  });

  it('delay holds the answer for ms and then handles the request normally', async () => {
    const api = await fulfillment();
    api.faults.script(create, { kind: 'delay', ms: 150 });
    const started = performance.now();
    const pending = createOrder(api);
    await sleep(20);
    expect(api.records.orders).toHaveLength(0);
    expect((await pending).status).toBe(201);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    expect(api.records.orders).toHaveLength(1);
  });

  it('uses a route queue before the "*" queue and clears both', async () => {
    const api = await fulfillment();
    api.faults.script('*', { kind: 'reject-500' }, { kind: 'reject-500' });
    api.faults.script('GET /v1/orders/:id', { kind: 'respond', status: 418 });
    expect(api.faults.pending()).toBe(3);
    expect((await fetch(`${api.url}/v1/orders/ord_1`, { headers: bearer(api) })).status).toBe(418);
    expect((await fetch(`${api.url}/v1/orders/ord_1`, { headers: bearer(api) })).status).toBe(500);
    api.faults.clear();
    expect(api.faults.pending('*')).toBe(0);
    expect((await fetch(`${api.url}/v1/orders/ord_1`, { headers: bearer(api) })).status).toBe(404);
  });

  it('commit-then-500 on the warehouse answers Django\'s HTML 500, and the re-sent create gets 409', async () => {
    const api = await warehouse();
    api.faults.script('POST /api/v1/orders/', { kind: 'commit-then-500' });
    const body = { order_number: 'ERP-7', items: [{ sku_code: 'SKU-2', quantity: 1 }] };
    const failed = await createWarehouseOrder(api, body);
    expect(failed.status).toBe(500);
    expect(failed.headers.get('content-type')).toContain('text/html');
    expect(await failed.text()).toContain('Server Error (500)');
    expect((await createWarehouseOrder(api, body)).status).toBe(409);
    expect(api.records.orders).toHaveLength(1);
  });
});

describe('rate limit, outage and refused connections', () => {
  it('refuses the request past the fixed window budget with 429 and RateLimit-Reset until the window ends', async () => {
    let now = 0;
    const api = await fulfillment({ clock: () => now, rateLimit: { limit: 2, windowMs: 2_000 } });
    const list = (): Promise<Response> => fetch(`${api.url}/v1/orders/list`, { headers: bearer(api) });
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 2; i += 1) remaining.push((await list()).headers.get('ratelimit-remaining'));
    expect(remaining).toEqual(['1', '0']);
    now = 500;
    const refused = await list();
    expect(refused.status).toBe(429);
    expect([refused.headers.get('ratelimit-limit'), refused.headers.get('ratelimit-reset')]).toEqual(['2', '2']);
    expect(await refused.json()).toHaveProperty('message');
    now = 2_000;
    const next = await list();
    expect([next.status, next.headers.get('ratelimit-remaining'), next.headers.get('ratelimit-reset')]).toEqual([200, '1', '2']);
    expect(api.stats.tooManyRequests).toBe(1);
  });

  it('throttles the warehouse DRF-style with Retry-After', async () => {
    const now = 0;
    const api = await warehouse({ clock: () => now, rateLimit: { limit: 1, windowMs: 3_000 } });
    expect((await fetch(`${api.url}/api/v1/orders/`, { headers: apiKey(api) })).status).toBe(200);
    const refused = await fetch(`${api.url}/api/v1/orders/`, { headers: apiKey(api) });
    expect([refused.status, refused.headers.get('retry-after'), refused.headers.get('ratelimit-reset')]).toEqual([429, '3', '3']);
    expect(await refused.json()).toEqual({ detail: 'Request was throttled. Expected available in 3 seconds.' });
  });

  it('answers every request with the outage status until the outage ends', async () => {
    const api = await fulfillment();
    api.outage(150, { status: 503, headers: { 'Retry-After': '1' } });
    const down = await fetch(`${api.url}/v1/orders/list`);
    expect([down.status, down.headers.get('retry-after')]).toEqual([503, '1']);
    expect(api.requests[0]?.fault).toEqual({ kind: 'outage', status: 503 });
    await sleep(200);
    expect((await fetch(`${api.url}/v1/orders/list`, { headers: bearer(api) })).status).toBe(200);
  });

  it('refuses connections on a closed port and after stopListening, and serves again after resumeListening', async () => {
    expect(await networkErrorCode(fetch(await closedPortUrl()))).toBe('ECONNREFUSED');
    const api = await fulfillment();
    expect((await fetch(`${api.url}/v1/orders/list`, { headers: bearer(api) })).status).toBe(200);
    await api.stopListening();
    expect(await networkErrorCode(fetch(`${api.url}/v1/orders/list`, { headers: bearer(api) }))).toBe('ECONNREFUSED');
    await api.resumeListening();
    expect((await fetch(`${api.url}/v1/orders/list`, { headers: bearer(api) })).status).toBe(200);
  });

  it('closes promptly while a request is stalled', async () => {
    const api = await startFulfillment();
    api.faults.script('POST /v1/orders/create', { kind: 'commit-then-stall' });
    const pending = createOrder(api);
    await sleep(30);
    const started = performance.now();
    await api.close();
    expect(performance.now() - started).toBeLessThan(1_000);
    await networkErrorCode(pending);
  });
});

describe('seeded fault mix', () => {
  const mix = (seed: number): FaultMix => ({
    routes: ['POST /v1/orders/create'],
    rates: { 'reject-500': 0.3, 'commit-then-500': 0.2, 'proxy-502': 0.1 },
    seed,
  });

  async function run(seed: number): Promise<{ kinds: (string | undefined)[]; orders: number }> {
    const api = await fulfillment({ faultMix: mix(seed) });
    for (let i = 0; i < 30; i += 1) await (await createOrder(api)).arrayBuffer();
    await (await fetch(`${api.url}/v1/orders/list`, { headers: bearer(api) })).arrayBuffer();
    expect(api.requests.at(-1)?.fault).toBeUndefined();
    return { kinds: api.requests.slice(0, 30).map((request) => request.fault?.kind), orders: api.records.orders.length };
  }

  it('draws the same faults for the same seed and different ones for another seed', async () => {
    const first = await run(42);
    const again = await run(42);
    const other = await run(7);
    expect(again).toEqual(first);
    expect(other.kinds).not.toEqual(first.kinds);
    expect(new Set(first.kinds)).toEqual(new Set([undefined, 'reject-500', 'commit-then-500', 'proxy-502']));
    expect(first.orders).toBe(first.kinds.filter((kind) => kind === undefined || kind === 'commit-then-500').length);
  });

  it('rejects rates that sum past 1', async () => {
    await expect(startFulfillment({ faultMix: { routes: ['*'], rates: { 'reject-500': 0.7, 'proxy-502': 0.4 }, seed: 1 } })).rejects.toThrow(RangeError);
  });
});
