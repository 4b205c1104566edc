/**
 * The fulfillment emulator in the modes that imitate real APIs (issue 7): normalized storage,
 * pages smaller than asked, a `Link` paging signal, an envelope list, an error answered with
 * 200, and a list lookup that times out. Driven with plain `fetch` against the real server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LIST_ERROR_200_BODY, startFulfillment } from './emulator/index.js';
import type { FulfillmentEmulator, FulfillmentOptions } from './emulator/index.js';

const running: FulfillmentEmulator[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()));
});

async function fulfillment(options: FulfillmentOptions = {}): Promise<FulfillmentEmulator> {
  const emulator = await startFulfillment(options);
  running.push(emulator);
  return emulator;
}

function bearer(api: FulfillmentEmulator): Record<string, string> {
  return { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' };
}

// 'José' with the accent as a combining mark (NFD), as some clients send it.
const NFD_NAME = 'Jose\u0301 Buyer ';

function orderBody(index = 0, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    campaignId: ' cmp_1 ',
    shipTo: {
      name: NFD_NAME,
      email: `Buyer-${index}@Example.com`,
      address1: '1 Main St ',
      city: 'Springfield',
      zip: '12345',
      country: 'US',
    },
    products: [{ sku: 'SKU-1', quantity: 2 }],
    ...overrides,
  };
}

async function post(api: FulfillmentEmulator, path: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${api.url}${path}`, { method: 'POST', headers: bearer(api), body: JSON.stringify(body), ...init });
}

async function get(api: FulfillmentEmulator, pathOrUrl: string, init: RequestInit = {}): Promise<Response> {
  const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${api.url}${pathOrUrl}`;
  return fetch(url, { headers: bearer(api), ...init });
}

async function createOrders(api: FulfillmentEmulator, count: number): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    expect((await post(api, '/v1/orders/create', orderBody(index))).status).toBe(201);
  }
}

async function listIds(response: Response): Promise<string[]> {
  return ((await response.json()) as Array<{ id: string }>).map((order) => order.id);
}

function nextLink(response: Response): string | undefined {
  return /^<([^>]+)>; rel="next"$/.exec(response.headers.get('link') ?? '')?.[1];
}

async function timeoutName(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason as Error,
  );
  return error?.name;
}

describe("storage: 'normalized'", () => {
  const expectedOrder = {
    id: 'ord_000001',
    campaignId: 'cmp_1',
    shipTo: {
      name: 'José Buyer',
      email: 'buyer-0@example.com',
      address1: '1 Main St',
      city: 'Springfield',
      zip: '12345',
      country: 'US',
      address2: null,
    },
    products: [{ sku: 'SKU-1', quantity: '2', unitPrice: null }],
    status: 'pending',
    source: 'api',
    createdAt: expect.any(String) as unknown,
    updatedAt: expect.any(String) as unknown,
  };

  it('stores an order normalized and shows that record in the 201, the get and the list', async () => {
    const api = await fulfillment({ storage: 'normalized' });
    const shipTo = { ...(orderBody().shipTo as object), email: ' Buyer-0@Example.com ' };
    const created = await post(api, '/v1/orders/create', orderBody(0, { shipTo }));
    expect([created.status, await created.json()]).toEqual([201, expectedOrder]);
    expect(api.records.orders).toEqual([expectedOrder]);
    expect(api.records.orders[0]?.shipTo.name).toBe('Jos\u00e9 Buyer');
    expect(await (await get(api, '/v1/orders/ord_000001')).json()).toEqual(expectedOrder);
    // The filters are normalized as the stored record was.
    const listed = await get(api, `/v1/orders/list?campaignId=cmp_1&email=${encodeURIComponent('BUYER-0@example.COM ')}`);
    expect(await listed.json()).toEqual([expectedOrder]);
  });

  it('keeps a sent address2 and unitPrice, normalized, and extra shipTo numbers as numeric strings', async () => {
    const api = await fulfillment({ storage: 'normalized' });
    const body = orderBody(0, {
      shipTo: { ...(orderBody().shipTo as object), address2: ' Apt 4 ', phone: 5551234 },
      products: [{ sku: ' SKU-1', quantity: 1, unitPrice: 9.5 }],
      externalRef: ' job-1 ',
    });
    expect((await post(api, '/v1/orders/create', body)).status).toBe(201);
    const [order] = api.records.orders;
    expect(order?.shipTo).toEqual(expect.objectContaining({ address2: 'Apt 4', phone: '5551234' }));
    expect([order?.products, order?.externalRef]).toEqual([[{ sku: 'SKU-1', quantity: '1', unitPrice: '9.5' }], 'job-1']);
  });

  it('stores a contact with a lowercased email, a trimmed NFC name and the server fields', async () => {
    const api = await fulfillment({ storage: 'normalized' });
    const created = await post(api, '/v1/contacts/create', { email: 'Ada@Example.COM ', name: NFD_NAME });
    const stamp = expect.any(String) as unknown;
    const expected = { id: 'con_000001', email: 'ada@example.com', name: 'José Buyer', source: 'api', createdAt: stamp, updatedAt: stamp };
    expect([created.status, await created.json()]).toEqual([201, expected]);
    expect(await (await get(api, '/v1/contacts/list?email=ada%40example.com')).json()).toEqual([expected]);
  });

  it("stores exactly what was sent by default ('exact')", async () => {
    const api = await fulfillment();
    expect((await post(api, '/v1/orders/create', orderBody())).status).toBe(201);
    const sent = orderBody();
    expect(api.records.orders).toEqual([
      { id: 'ord_000001', ...sent, status: 'pending', createdAt: expect.any(String) as unknown },
    ]);
    expect(api.records.orders[0]?.shipTo.name).toBe(NFD_NAME);
  });
});

describe('maxPageSize, the Link signal and list shapes (120 orders)', () => {
  it('serves at most maxPageSize per page whatever pageSize asks, with no paging signal by default', async () => {
    const api = await fulfillment({ maxPageSize: 50 });
    await createOrders(api, 120);
    const sizes: number[] = [];
    for (let page = 1; page <= 4; page += 1) {
      const response = await get(api, `/v1/orders/list?pageSize=100&page=${page}`);
      expect([response.headers.get('link'), response.headers.get('x-total-count')]).toEqual([null, null]);
      sizes.push((await listIds(response)).length);
    }
    expect(sizes).toEqual([50, 50, 20, 0]);
    expect(await listIds(await get(api, '/v1/orders/list?pageSize=100&page=2'))).toEqual(
      Array.from({ length: 50 }, (_, index) => `ord_${String(51 + index).padStart(6, '0')}`),
    );
    expect((await listIds(await get(api, '/v1/orders/list?pageSize=10'))).length).toBe(10);
  });

  it('serves 100 per page when maxPageSize is not set', async () => {
    const api = await fulfillment();
    await createOrders(api, 120);
    expect((await listIds(await get(api, '/v1/orders/list?pageSize=100'))).length).toBe(100);
    expect((await listIds(await get(api, '/v1/orders/list?pageSize=500&page=2'))).length).toBe(20);
  });

  it("pageSignal 'link' sends an absolute rel=\"next\" link keeping the other parameters, and X-Total-Count", async () => {
    const api = await fulfillment({ maxPageSize: 50, pageSignal: 'link', storage: 'normalized' });
    await createOrders(api, 120);
    const first = await get(api, '/v1/orders/list?campaignId=cmp_1&pageSize=100');
    expect(nextLink(first)).toBe(`${api.url}/v1/orders/list?campaignId=cmp_1&pageSize=100&page=2`);
    expect(first.headers.get('x-total-count')).toBe('120');
    const ids = await listIds(first);
    let next = nextLink(first);
    const served: number[] = [ids.length];
    while (next !== undefined) {
      const response = await get(api, next);
      const page = await listIds(response);
      served.push(page.length);
      ids.push(...page);
      next = nextLink(response);
      if (next === undefined) expect(response.headers.get('link')).toBeNull();
    }
    expect(served).toEqual([50, 50, 20]);
    expect(new Set(ids).size).toBe(120);
    const empty = await get(api, '/v1/orders/list?campaignId=nobody');
    expect([empty.headers.get('link'), empty.headers.get('x-total-count'), await empty.json()]).toEqual([null, '0', []]);
  });

  it("listShape 'envelope' answers { data, meta, next } and next walks every page", async () => {
    const api = await fulfillment({ maxPageSize: 50, listShape: 'envelope' });
    await createOrders(api, 120);
    interface Envelope {
      data: Array<{ id: string }>;
      meta: { page: number; pageSize: number; total: number };
      next: string | null;
    }
    const first = (await (await get(api, '/v1/orders/list?pageSize=100')).json()) as Envelope;
    expect([first.data.length, first.meta, first.next]).toEqual([
      50,
      { page: 1, pageSize: 50, total: 120 },
      `${api.url}/v1/orders/list?pageSize=100&page=2`,
    ]);
    const metas = [first.meta];
    let next = first.next;
    let count = first.data.length;
    while (next !== null) {
      const page = (await (await get(api, next)).json()) as Envelope;
      metas.push(page.meta);
      count += page.data.length;
      next = page.next;
    }
    expect([metas.map((meta) => meta.page), count]).toEqual([[1, 2, 3], 120]);
    const contacts = (await (await get(api, '/v1/contacts/list')).json()) as Envelope;
    expect(contacts).toEqual({ data: [], meta: { page: 1, pageSize: 50, total: 0 }, next: null });
  });

  it("listShape 'error-200' answers every list with 200 and an error body while creates still work", async () => {
    const api = await fulfillment({ listShape: 'error-200' });
    const created = await post(api, '/v1/orders/create', orderBody());
    expect(created.status).toBe(201);
    for (const path of ['/v1/orders/list?campaignId=%20cmp_1%20', '/v1/contacts/list']) {
      const listed = await get(api, path);
      expect([listed.status, await listed.json()]).toEqual([
        200,
        { success: false, error: { code: 'SERVICE_ERROR', message: 'Search backend unavailable' } },
      ]);
    }
    expect(LIST_ERROR_200_BODY.error.code).toBe('SERVICE_ERROR');
    expect((await get(api, '/v1/orders/ord_000001')).status).toBe(200);
    expect(api.records.orders).toHaveLength(1);
  });

  it('refuses a maxPageSize that is not a positive integer', async () => {
    await expect(startFulfillment({ maxPageSize: 0 })).rejects.toThrow(RangeError);
    await expect(startFulfillment({ maxPageSize: 2.5 })).rejects.toThrow(RangeError);
  });
});

describe('faults on the list route', () => {
  const list = 'GET /v1/orders/list';

  it('a scripted delay on the list makes the lookup time out, and only that one list request', async () => {
    const api = await fulfillment({ storage: 'normalized' });
    await createOrders(api, 1);
    api.faults.script(list, { kind: 'delay', ms: 5_000 });
    expect(await timeoutName(get(api, '/v1/orders/list', { signal: AbortSignal.timeout(100) }))).toBe('TimeoutError');
    expect(api.requests.at(-1)?.fault).toEqual({ kind: 'delay', ms: 5_000 });
    expect((await post(api, '/v1/orders/create', orderBody(1))).status).toBe(201);
    expect(await listIds(await get(api, '/v1/orders/list'))).toEqual(['ord_000001', 'ord_000002']);
  });

  it('commit-then-stall on the list answers nothing until the client gives up and creates nothing', async () => {
    const api = await fulfillment();
    await createOrders(api, 1);
    api.faults.script(list, { kind: 'commit-then-stall' });
    expect(await timeoutName(get(api, '/v1/orders/list', { signal: AbortSignal.timeout(100) }))).toBe('TimeoutError');
    expect([api.requests.at(-1)?.status, api.stats.creates, api.records.orders.length]).toEqual([undefined, 1, 1]);
  });

  it('a fault mix on the create route leaves lists alone, and one on the list route leaves creates alone', async () => {
    const onCreate = await fulfillment({
      storage: 'normalized',
      pageSignal: 'link',
      listShape: 'envelope',
      faultMix: { routes: ['POST /v1/orders/create'], rates: { 'reject-500': 1 } },
    });
    for (let index = 0; index < 5; index += 1) {
      expect((await post(onCreate, '/v1/orders/create', orderBody(index))).status).toBe(500);
      expect((await get(onCreate, '/v1/orders/list')).status).toBe(200);
    }
    const kinds = onCreate.requests.map((request) => request.fault?.kind ?? 'none');
    expect(kinds).toEqual(Array(5).fill(['reject-500', 'none']).flat());

    const onList = await fulfillment({
      storage: 'normalized',
      maxPageSize: 50,
      faultMix: { routes: [list], rates: { respond: 1 } },
    });
    for (let index = 0; index < 5; index += 1) {
      expect((await post(onList, '/v1/orders/create', orderBody(index))).status).toBe(201);
      const listed = await get(onList, '/v1/orders/list');
      expect([listed.status, listed.headers.get('retry-after')]).toEqual([503, '1']);
    }
    expect(onList.records.orders).toHaveLength(5);
  });

  it('lists of a normalizing API still lag behind its writes on the injected clock', async () => {
    let now = 1_000_000;
    const api = await fulfillment({ clock: () => now, listLagMs: 100, storage: 'normalized', pageSignal: 'link' });
    await createOrders(api, 2);
    const hidden = await get(api, '/v1/orders/list?campaignId=cmp_1');
    expect([hidden.headers.get('x-total-count'), await hidden.json()]).toEqual(['0', []]);
    now += 100;
    expect(await listIds(await get(api, '/v1/orders/list?campaignId=cmp_1'))).toEqual(['ord_000001', 'ord_000002']);
  });
});
