/**
 * The surefetch demo: starts the bundled emulation of both seed APIs with faults injected, runs
 * a batch of calls through surefetch and prints what happened to each call.
 *
 * Run: npm run demo
 */
import { byRoute, createFetch, fulfillmentOrders, idempotency, retry, warehouseOrders, type SurefetchEvent } from 'surefetch';
import { startFulfillment } from '../test/emulator/fulfillment.js';
import { startWarehouse } from '../test/emulator/warehouse.js';
import { burstAgainstRateLimit, rideOutOutage } from './batches.js';
import { describeOutcome, printSummary, type CallReport } from './report.js';

const fulfillment = await startFulfillment({ listLagMs: 100 });
const warehouse = await startWarehouse();
const events: SurefetchEvent[] = [];
const sureFetch = createFetch({
  middleware: [retry({ maxWaitMs: 10_000, baseDelayMs: 100 })],
  routes: [{ method: 'POST', path: '/v1/orders/cancel', idempotent: true }],
  attemptTimeoutMs: 1000,
  onEvent: (event) => events.push(event),
});

// The same, protected: a request record per logical create and a pre-retry existence check.
const protectedFetch = createFetch({
  middleware: [idempotency({ existenceCheck: byRoute(fulfillmentOrders(), warehouseOrders()) }), retry({ maxWaitMs: 10_000, baseDelayMs: 100 })],
  attemptTimeoutMs: 1000,
  onEvent: (event) => events.push(event),
});

const fulfillmentHeaders = { Authorization: `Bearer ${fulfillment.apiKey}`, 'Content-Type': 'application/json' };
const warehouseHeaders = { Authorization: `Api-Key ${warehouse.apiKey}`, 'Content-Type': 'application/json' };
const order = (email: string) =>
  JSON.stringify({
    campaignId: 'spring-26',
    shipTo: { name: 'Ada', email, address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' },
    products: [{ sku: 'SKU-1', quantity: 2 }],
  });

interface Scenario {
  readonly name: string;
  readonly setup?: () => void;
  readonly run: (operation: string) => Promise<Response>;
}

const scenarios: Scenario[] = [
  {
    name: 'list orders; the API answers 429 with RateLimit-Reset: 1',
    setup: () => fulfillment.faults.script('GET /v1/orders/list', { kind: 'respond', status: 429, headers: { 'RateLimit-Reset': '1' }, body: { message: 'Too many requests' } }),
    run: (operation) => sureFetch(`${fulfillment.url}/v1/orders/list?campaignId=spring-26&email=ada@example.com`, { headers: fulfillmentHeaders, surefetch: { operation } }),
  },
  {
    name: 'list orders; two 500s first',
    setup: () => fulfillment.faults.script('GET /v1/orders/list', { kind: 'reject-500' }, { kind: 'reject-500' }),
    run: (operation) => sureFetch(`${fulfillment.url}/v1/orders/list?campaignId=spring-26&email=ada@example.com`, { headers: fulfillmentHeaders, surefetch: { operation } }),
  },
  {
    name: 'create an order with an invalid email and an empty zip',
    run: (operation) =>
      sureFetch(`${fulfillment.url}/v1/orders/create`, {
        method: 'POST',
        headers: fulfillmentHeaders,
        body: JSON.stringify({ ...JSON.parse(order('not-an-email')), shipTo: { name: 'Ada', email: 'nope', address1: 'x', city: 'y', zip: '', country: 'US' } }),
        surefetch: { operation },
      }),
  },
  {
    name: 'create an order with a wrong API key',
    run: (operation) => sureFetch(`${fulfillment.url}/v1/orders/create`, { method: 'POST', headers: { ...fulfillmentHeaders, Authorization: `Bearer ${'x'.repeat(96)}` }, body: order('ada@example.com'), surefetch: { operation } }),
  },
  {
    name: 'create an order; the API commits it, then answers 500',
    setup: () => fulfillment.faults.script('POST /v1/orders/create', { kind: 'commit-then-500' }),
    run: (operation) => sureFetch(`${fulfillment.url}/v1/orders/create`, { method: 'POST', headers: fulfillmentHeaders, body: order('grace@example.com'), surefetch: { operation } }),
  },
  {
    name: 'the same create with idempotency: the API commits it, then answers 500',
    setup: () => fulfillment.faults.script('POST /v1/orders/create', { kind: 'commit-then-500' }),
    run: (operation) =>
      protectedFetch(`${fulfillment.url}/v1/orders/create`, { method: 'POST', headers: fulfillmentHeaders, body: order('hopper@example.com'), surefetch: { operation, idempotencyScope: 'job-17:create-order' } }),
  },
  {
    name: 'the job re-runs (same scope): the stored result is replayed, nothing is sent',
    run: (operation) =>
      protectedFetch(`${fulfillment.url}/v1/orders/create`, { method: 'POST', headers: fulfillmentHeaders, body: order('hopper@example.com'), surefetch: { operation, idempotencyScope: 'job-17:create-order' } }),
  },
  {
    name: 'a protected create whose connection is reset before the API commits it',
    setup: () => fulfillment.faults.script('POST /v1/orders/create', { kind: 'reset-before-commit' }),
    run: (operation) =>
      protectedFetch(`${fulfillment.url}/v1/orders/create`, { method: 'POST', headers: fulfillmentHeaders, body: order('lovelace@example.com'), surefetch: { operation, idempotencyScope: 'job-18:create-order' } }),
  },
  {
    name: 'warehouse: a protected create; the API commits it, then the connection resets',
    setup: () => warehouse.faults.script('POST /api/v1/orders/', { kind: 'commit-then-reset' }),
    run: (operation) =>
      protectedFetch(`${warehouse.url}/api/v1/orders/`, { method: 'POST', headers: warehouseHeaders, body: JSON.stringify({ order_number: 'ERP-7001', items: [{ sku_code: 'SKU-2', quantity: 3 }] }), surefetch: { operation, idempotencyScope: 'job-19:warehouse-order' } }),
  },
  {
    name: 'cancel an order (declared safe to repeat); a proxy answers 502 first',
    setup: () => fulfillment.faults.script('POST /v1/orders/cancel', { kind: 'proxy-502' }),
    run: async (operation) => {
      const created = (await (await sureFetch(`${fulfillment.url}/v1/orders/create`, { method: 'POST', headers: fulfillmentHeaders, body: order('linus@example.com') })).json()) as { id: string };
      return sureFetch(`${fulfillment.url}/v1/orders/cancel`, { method: 'POST', headers: fulfillmentHeaders, body: JSON.stringify({ orderId: created.id }), surefetch: { operation } });
    },
  },
  {
    name: 'warehouse: create an order; the service is down for maintenance (503, Retry-After: 1)',
    setup: () => warehouse.faults.script('POST /api/v1/orders/', { kind: 'respond', status: 503, headers: { 'Retry-After': '1' } }),
    run: (operation) => sureFetch(`${warehouse.url}/api/v1/orders/`, { method: 'POST', headers: warehouseHeaders, body: JSON.stringify({ order_number: 'ERP-5001', items: [{ sku_code: 'SKU-1', quantity: 1 }] }), surefetch: { operation } }),
  },
  {
    name: 'warehouse: create the same order number again',
    run: (operation) => sureFetch(`${warehouse.url}/api/v1/orders/`, { method: 'POST', headers: warehouseHeaders, body: JSON.stringify({ order_number: 'ERP-5001', items: [{ sku_code: 'SKU-1', quantity: 1 }] }), surefetch: { operation } }),
  },
  {
    name: 'list orders; the API says come back in an hour',
    setup: () => fulfillment.faults.script('GET /v1/orders/list', { kind: 'respond', status: 429, headers: { 'Retry-After': '3600' } }),
    run: (operation) => sureFetch(`${fulfillment.url}/v1/orders/list?campaignId=spring-26&email=ada@example.com`, { headers: fulfillmentHeaders, surefetch: { operation } }),
  },
];

const reports: CallReport[] = [];
try {
  for (const [index, scenario] of scenarios.entries()) {
    const operation = `#${index + 1}`;
    scenario.setup?.();
    const started = Date.now();
    let outcome: CallReport['outcome'];
    try {
      const response = await scenario.run(operation);
      outcome = { ok: true, status: response.status };
      await response.body?.cancel();
    } catch (error) {
      outcome = { ok: false, error };
    }
    const report: CallReport = { name: scenario.name, events: events.filter((event) => event.operation === operation || event.operation === `existence check for ${operation}`), outcome, elapsedMs: Date.now() - started };
    reports.push(report);
    console.log(describeOutcome(operation, report));
  }
  // Each logical create has its own email (fulfillment) or order number (warehouse): a repeat is a duplicate.
  const emails = fulfillment.records.orders.map((o) => o.shipTo.email);
  const numbers = warehouse.records.orders.map((o) => o.order_number);
  const duplicates = emails.length - new Set(emails).size + (numbers.length - new Set(numbers).size);
  printSummary(reports, { orders: fulfillment.records.orders.length, warehouseOrders: warehouse.records.orders.length, duplicates });
  if (duplicates > 0) {
    // The demo is also a check (CI runs it): a duplicate create is the one outcome surefetch exists to prevent.
    console.error(`\nFAIL: ${String(duplicates)} duplicate create(s)`);
    process.exitCode = 1;
  }
  console.log(`\n${await burstAgainstRateLimit()}`);
  console.log(await rideOutOutage());
} finally {
  await fulfillment.close();
  await warehouse.close();
}
