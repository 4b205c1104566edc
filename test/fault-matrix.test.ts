/**
 * The fault matrix of the idempotency layer: each fault against each seed API. Whatever the
 * fault, every logical create must exist exactly once in the server's own records, and the
 * caller must get success whenever the resource exists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byRoute, createFetch, fulfillmentContacts, fulfillmentOrders, idempotency, retry, warehouseOrders, type SurefetchEvent } from '../src/index.js';
import { memoryStore } from '../src/store/memory-store.js';
import type { Fault } from './emulator/fault.js';
import { startFulfillment, type FulfillmentEmulator } from './emulator/fulfillment.js';
import { startWarehouse, type WarehouseEmulator } from './emulator/warehouse.js';

let fulfillment: FulfillmentEmulator;
let warehouse: WarehouseEmulator;
beforeAll(async () => {
  fulfillment = await startFulfillment({ listLagMs: 150 });
  warehouse = await startWarehouse({ listLagMs: 150 });
});
afterAll(async () => {
  await fulfillment.close();
  await warehouse.close();
});

/** A fault script, and how many creates each API gets under it (a re-send only where nothing landed). */
const faults: Array<[string, Fault[], { fulfillment: number; warehouse: number }]> = [
  ['commit, then 500', [{ kind: 'commit-then-500' }], { fulfillment: 1, warehouse: 1 }],
  ['commit, then reset', [{ kind: 'commit-then-reset' }], { fulfillment: 1, warehouse: 1 }],
  ['commit, then stall past the per-attempt timeout', [{ kind: 'commit-then-stall' }], { fulfillment: 1, warehouse: 1 }],
  // The fulfillment lookup settles past the late commit; the warehouse's get misses it, and its re-send meets 409 DUPLICATE.
  ['commit 400 ms after a 500 (after the first look)', [{ kind: 'commit-late', commitDelayMs: 400 }], { fulfillment: 1, warehouse: 2 }],
  ['500 without commit', [{ kind: 'reject-500' }], { fulfillment: 2, warehouse: 2 }],
  ['reset before commit', [{ kind: 'reset-before-commit' }], { fulfillment: 2, warehouse: 2 }],
  ['a proxy 502 HTML page, not committed', [{ kind: 'proxy-502' }], { fulfillment: 2, warehouse: 2 }],
  ['a proxy 502 HTML page after a commit', [{ kind: 'proxy-502', commit: true }], { fulfillment: 1, warehouse: 1 }],
  ['two faults in a row: a reset before commit, then a commit and a 500', [{ kind: 'reset-before-commit' }, { kind: 'commit-then-500' }], { fulfillment: 2, warehouse: 2 }],
];

let serial = 0;
const sureFetchWith = (events: SurefetchEvent[]) =>
  createFetch({
    middleware: [idempotency({ store: memoryStore(), existenceCheck: byRoute(fulfillmentOrders(), fulfillmentContacts(), warehouseOrders()) }), retry({ baseDelayMs: 50 })],
    attemptTimeoutMs: 300,
    onEvent: (event) => events.push(event),
  });

describe('fulfillment POST /v1/orders/create (no idempotency key; list by campaign + email)', () => {
  it.each(faults)('%s: the order exists exactly once, the caller gets it, every fault fired, sends as expected', async (_name, scripted, sends) => {
    serial += 1;
    const email = `matrix-${serial}@example.com`;
    fulfillment.faults.script('POST /v1/orders/create', ...scripted);
    const events: SurefetchEvent[] = [];
    const response = await sureFetchWith(events)(`${fulfillment.url}/v1/orders/create`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${fulfillment.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ campaignId: 'matrix', shipTo: { name: 'M', email, address1: '1 St', city: 'C', zip: '1', country: 'US' }, products: [{ sku: 'SKU-1', quantity: 1 }] }),
      surefetch: { idempotencyScope: `job-${serial}:create-order` },
    });
    await new Promise((resolve) => setTimeout(resolve, 450)); // let a late commit land before counting
    const orders = fulfillment.records.orders.filter((order) => order.shipTo.email === email);
    expect(fulfillment.faults.pending()).toBe(0);
    expect(fulfillment.requests.filter((r) => r.method === 'POST' && JSON.stringify(r.body ?? '').includes(email))).toHaveLength(sends.fulfillment);
    expect(orders).toHaveLength(1);
    expect(response.ok).toBe(true);
    expect(((await response.json()) as { id: string }).id).toBe(orders[0]?.id);
  });

  it('recovers a contact create whose answer was lost', async () => {
    serial += 1;
    const email = `contact-${serial}@example.com`;
    fulfillment.faults.script('POST /v1/contacts/create', { kind: 'commit-then-reset' });
    const events: SurefetchEvent[] = [];
    const response = await sureFetchWith(events)(`${fulfillment.url}/v1/contacts/create`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${fulfillment.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ email, name: 'Contact' }),
      surefetch: { idempotencyScope: `job-${serial}:create-contact` },
    });
    expect(response.ok).toBe(true);
    expect(fulfillment.records.contacts.filter((contact) => contact.email === email)).toHaveLength(1);
    expect(events.some((event) => event.type === 'recovered')).toBe(true);
  });
});

describe('warehouse POST /api/v1/orders/ (unique order_number; get by number, 409 DUPLICATE)', () => {
  it.each(faults)('%s: the order exists exactly once, the caller gets it, every fault fired, sends as expected', async (_name, scripted, sends) => {
    serial += 1;
    const orderNumber = `ERP-M${serial}`;
    warehouse.faults.script('POST /api/v1/orders/', ...scripted);
    const response = await sureFetchWith([])(`${warehouse.url}/api/v1/orders/`, {
      method: 'POST',
      headers: { Authorization: `Api-Key ${warehouse.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ order_number: orderNumber, items: [{ sku_code: 'SKU-1', quantity: 1 }] }),
      surefetch: { idempotencyScope: `job-${serial}:warehouse-order` },
    });
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(warehouse.faults.pending()).toBe(0);
    expect(warehouse.requests.filter((r) => r.method === 'POST' && JSON.stringify(r.body ?? '').includes(orderNumber))).toHaveLength(sends.warehouse);
    expect(warehouse.records.orders.filter((order) => order.order_number === orderNumber)).toHaveLength(1);
    expect(response.ok).toBe(true);
    expect(((await response.json()) as { data: { order_number: string } }).data.order_number).toBe(orderNumber);
  });

  it('turns a 409 DUPLICATE answered to a re-send into the existing order', async () => {
    serial += 1;
    const orderNumber = `ERP-D${serial}`;
    // The first attempt's commit lands only after the lookup found nothing; the re-send then gets 409.
    warehouse.faults.script('POST /api/v1/orders/', { kind: 'commit-late', commitDelayMs: 150 }, { kind: 'delay', ms: 200 });
    const events: SurefetchEvent[] = [];
    const response = await sureFetchWith(events)(`${warehouse.url}/api/v1/orders/`, {
      method: 'POST',
      headers: { Authorization: `Api-Key ${warehouse.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ order_number: orderNumber, items: [{ sku_code: 'SKU-1', quantity: 1 }] }),
      surefetch: { idempotencyScope: `job-${serial}:warehouse-dup` },
    });
    expect(response.ok).toBe(true);
    expect(warehouse.records.orders.filter((order) => order.order_number === orderNumber)).toHaveLength(1);
    expect(events.some((event) => event.type === 'recovered' && event.via === 'duplicate')).toBe(true);
  });
});

describe('matching the right record', () => {
  const shipTo = (email: string) => ({ name: 'Repeat', email, address1: '1 St', city: 'C', zip: '1', country: 'US' });

  it('pages through earlier, legitimate orders to the same recipient and takes only the one created by this call', async () => {
    serial += 1;
    const email = `repeat-${serial}@example.com`;
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    for (let index = 0; index < 120; index += 1) {
      fulfillment.records.orders.push({ id: `old_${serial}_${index}`, campaignId: 'matrix', shipTo: shipTo(email), products: [{ sku: 'SKU-1', quantity: 1 }], status: 'pending', createdAt: yesterday });
    }
    fulfillment.faults.script('POST /v1/orders/create', { kind: 'commit-then-500' });
    const events: SurefetchEvent[] = [];
    const response = await sureFetchWith(events)(`${fulfillment.url}/v1/orders/create`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${fulfillment.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ campaignId: 'matrix', shipTo: shipTo(email), products: [{ sku: 'SKU-1', quantity: 1 }] }),
      surefetch: { idempotencyScope: `job-${serial}:repeat` },
    });
    const created = (await response.json()) as { id: string };
    const orders = fulfillment.records.orders.filter((order) => order.shipTo.email === email);
    expect(orders).toHaveLength(121);
    expect(created.id).toBe(orders.find((order) => !order.id.startsWith('old_'))?.id);
    const lookups = fulfillment.requests.filter((request) => request.path === '/v1/orders/list' && request.query.email === email);
    expect(lookups.some((request) => request.query.page === '2')).toBe(true);
  });

  it('fails closed when two orders in the window match, instead of guessing', async () => {
    serial += 1;
    const email = `twin-${serial}@example.com`;
    fulfillment.records.orders.push({ id: `twin_${serial}`, campaignId: 'matrix', shipTo: shipTo(email), products: [{ sku: 'SKU-1', quantity: 1 }], status: 'pending', createdAt: new Date().toISOString() });
    fulfillment.faults.script('POST /v1/orders/create', { kind: 'commit-then-500' });
    const error = await sureFetchWith([])(`${fulfillment.url}/v1/orders/create`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${fulfillment.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ campaignId: 'matrix', shipTo: shipTo(email), products: [{ sku: 'SKU-1', quantity: 1 }] }),
      surefetch: { idempotencyScope: `job-${serial}:twin` },
    }).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('EXISTENCE_CHECK_FAILED');
    expect(fulfillment.records.orders.filter((order) => order.shipTo.email === email)).toHaveLength(2);
  });

  it('matches by the externalRef the create carried when there is one', async () => {
    serial += 1;
    const email = `ref-${serial}@example.com`;
    fulfillment.records.orders.push({ id: `other_${serial}`, campaignId: 'matrix', shipTo: shipTo(email), products: [{ sku: 'SKU-1', quantity: 1 }], externalRef: 'someone-else', status: 'pending', createdAt: new Date().toISOString() });
    fulfillment.faults.script('POST /v1/orders/create', { kind: 'commit-then-reset' });
    const response = await sureFetchWith([])(`${fulfillment.url}/v1/orders/create`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${fulfillment.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ campaignId: 'matrix', shipTo: shipTo(email), products: [{ sku: 'SKU-1', quantity: 1 }], externalRef: `job-${serial}` }),
      surefetch: { idempotencyScope: `job-${serial}:ref` },
    });
    expect(((await response.json()) as { externalRef: string }).externalRef).toBe(`job-${serial}`);
    expect(fulfillment.records.orders.filter((order) => order.shipTo.email === email)).toHaveLength(2);
  });
});

describe('failing closed', () => {
  it('does not re-send when the lookup itself fails, and says which request to reconcile', async () => {
    serial += 1;
    const email = `closed-${serial}@example.com`;
    fulfillment.faults.script('POST /v1/orders/create', { kind: 'commit-then-500' });
    fulfillment.faults.script('GET /v1/orders/list', { kind: 'respond', status: 400, body: { message: 'list is down' } });
    const error = await sureFetchWith([])(`${fulfillment.url}/v1/orders/create`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${fulfillment.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ campaignId: 'matrix', shipTo: { name: 'M', email, address1: '1 St', city: 'C', zip: '1', country: 'US' }, products: [{ sku: 'SKU-1', quantity: 1 }] }),
      surefetch: { idempotencyScope: `job-${serial}:closed`, clientRequestId: `crid-${serial}` },
    }).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('EXISTENCE_CHECK_FAILED');
    expect((error as { clientRequestId?: string }).clientRequestId).toBe(`crid-${serial}`);
    expect(fulfillment.requests.filter((request) => request.path === '/v1/orders/create' && request.body !== undefined && JSON.stringify(request.body).includes(email))).toHaveLength(1);
  });
});
