/**
 * Re-send only on positive evidence of absence (issue 7): the first attempt of a create landed and
 * its answer was lost, and the existence check cannot prove anything — a list of another shape, a
 * refused or stalled lookup, a candidate without the fields it needs, a near match, a list longer
 * than the bound, a next page on another origin. Each time the server holds one order, saw one
 * POST, and the caller gets an `ExistenceCheckError` naming the client request id.
 */
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AttemptTimeoutError, ExistenceCheckError, type SurefetchEvent } from '../src/index.js';
import type { Fault, FulfillmentEmulator, FulfillmentOptions } from './emulator/index.js';
import { client, closeAll, CREATE, LIST, listReads, ordersFor, posts } from './exactly-once-harness.js';
import { pushEarlierOrders, rejection, startApi, storedOrder } from './exactly-once-harness.js';

const servers: Server[] = [];
afterEach(async () => {
  await closeAll();
  for (const server of servers) server.closeAllConnections(); // a stalled answer keeps its socket
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

const CRID = 'crid-closed-1';

/**
 * Runs one create whose first attempt commits and answers 500, and returns its rejection.
 * `afterLoss` runs on the server's records once that answer is in, before any lookup.
 */
async function lostCreate(
  options: FulfillmentOptions,
  arrange: (api: FulfillmentEmulator) => void,
  afterLoss?: (order: object) => void,
) {
  const { api, clock } = await startApi(options);
  arrange(api);
  api.faults.script(CREATE, { kind: 'commit-then-500' });
  const onEvent = (event: SurefetchEvent): void => {
    const order = api.records.orders.at(-1);
    if (event.type === 'attempt-end' && event.purpose === undefined && order !== undefined) afterLoss?.(order);
  };
  const error = await rejection(client(api, clock, { onEvent }).create({ clientRequestId: CRID }));
  return { api, error };
}

function expectClosed(api: FulfillmentEmulator, error: unknown, reason: RegExp): void {
  expect(error).toBeInstanceOf(ExistenceCheckError);
  expect(error).toMatchObject({ code: 'EXISTENCE_CHECK_FAILED', clientRequestId: CRID });
  expect((error as ExistenceCheckError).reason).toMatch(reason);
  expect((error as Error).message).toContain(CRID);
  expect([ordersFor(api).filter((order) => !order.id.startsWith('old_')).length, posts(api)]).toEqual([1, 1]);
}

describe('an answer that is not a well-formed list of the expected shape', () => {
  it("listShape 'envelope' where the recipe expects an array", async () => {
    const { api, error } = await lostCreate({ listShape: 'envelope' }, () => undefined);
    expectClosed(api, error, /not of the expected shape/);
    expect(listReads(api)).toHaveLength(1);
  });

  it("listShape 'error-200': an error envelope answered with status 200", async () => {
    const { api, error } = await lostCreate({ listShape: 'error-200' }, () => undefined);
    expectClosed(api, error, /not of the expected shape/);
  });

  it('a candidate without createdAt', async () => {
    const { api, error } = await lostCreate({}, () => undefined, (order) => Reflect.deleteProperty(order, 'createdAt'));
    expectClosed(api, error, /no "createdAt"/);
  });

  it('a candidate without shipTo (the API lists the order without it)', async () => {
    // Hidden from the JSON the list serves, still there for the server's own email filter.
    const hide = (order: object) => Object.defineProperty(order, 'shipTo', { enumerable: false });
    const { api, error } = await lostCreate({}, () => undefined, hide);
    expectClosed(api, error, /no "shipTo.email"/);
  });
});

describe('a lookup that is refused or does not answer', () => {
  it('stalls beyond the attempt timeout on each of its 4 attempts', async () => {
    const stall: Fault = { kind: 'delay', ms: 2000 };
    const { api, error } = await lostCreate({}, (api) => api.faults.script(LIST, stall, stall, stall, stall));
    expectClosed(api, error, /the lookup failed/);
    expect((error as Error).cause).toBeInstanceOf(AttemptTimeoutError);
    expect(listReads(api)).toHaveLength(4);
  });

  it('answers 500 until its retries run out', async () => {
    const refuse: Fault = { kind: 'reject-500' };
    const { api, error } = await lostCreate({}, (api) => api.faults.script(LIST, refuse, refuse, refuse, refuse));
    expectClosed(api, error, /HTTP 500/);
    expect(listReads(api).map((request) => request.status)).toEqual([500, 500, 500, 500]);
  });

  it('answers 404', async () => {
    const notFound: Fault = { kind: 'respond', status: 404, body: { message: 'Not found' } };
    const { api, error } = await lostCreate({}, (api) => api.faults.script(LIST, notFound));
    expectClosed(api, error, /HTTP 404/);
    expect(listReads(api)).toHaveLength(1);
  });
});

describe('what the list holds cannot be told apart', () => {
  it("a near match: same campaign and recipient, created in the window, other products; the error names 'products…'", async () => {
    const { api, clock } = await startApi();
    const products = [{ sku: 'SKU-2', quantity: '2', unitPrice: null }];
    const near = storedOrder('near_1', new Date(clock.now()).toISOString(), { products });
    api.records.orders.push(near);
    api.faults.script(CREATE, { kind: 'reject-500' });
    const error = await rejection(client(api, clock).create({ clientRequestId: CRID }));
    expect(error).toBeInstanceOf(ExistenceCheckError);
    expect(error).toMatchObject({ clientRequestId: CRID, nearMatches: [{ id: 'near_1' }] });
    const differences = (error as ExistenceCheckError).nearMatches[0]?.differences ?? [];
    expect(differences).not.toHaveLength(0);
    expect(differences.every((path) => path.startsWith('products'))).toBe(true);
    expect([ordersFor(api).map((order) => order.id), posts(api)]).toEqual([['near_1'], 1]);
  });

  it('more pages than maxPages (5 per page, 121 orders, 20 pages read)', async () => {
    const { api, error } = await lostCreate({ maxPageSize: 5 }, (api) => pushEarlierOrders(api, 120));
    expectClosed(api, error, /more than 20 pages/);
    expect(listReads(api)).toHaveLength(20);
  });
});

/** A server that logs each request (`METHOD /path?query`) once its body is in, then lets `handle` answer. */
async function hostile(handle: (method: string, response: ServerResponse) => void) {
  const log: string[] = [];
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      log.push(`${request.method} ${request.url}`);
      handle(request.method ?? 'GET', response);
    });
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, log };
}

const json = { 'Content-Type': 'application/json' };

/** An order API whose create commits and answers 500, and whose list answers with `list`. */
async function hostileOrders(list: (response: ServerResponse) => void) {
  let stored = 0;
  const api = await hostile((method, response) => {
    if (method !== 'POST') return list(response);
    stored += 1;
    response.writeHead(500, json).end('{"message":"Internal server error"}');
  });
  const { clock } = await startApi();
  const { create } = client({ url: api.url, apiKey: 'k'.repeat(96) }, clock);
  const error = await rejection(create({ clientRequestId: CRID }));
  expect(error).toBeInstanceOf(ExistenceCheckError);
  expect(error).toMatchObject({ clientRequestId: CRID });
  expect([stored, api.log.filter((line) => line.startsWith('POST')).length]).toEqual([1, 1]);
  return { error: error as ExistenceCheckError, log: api.log };
}

describe('a list server that misbehaves on the wire', () => {
  it('a next Link to another origin is not followed: the check fails closed and the other origin hears nothing', async () => {
    const elsewhere = await hostile((_method, response) => response.writeHead(200, json).end('[]'));
    const link = `<${elsewhere.url}/v1/orders/list?page=2>; rel="next"`;
    const { error } = await hostileOrders((response) => response.writeHead(200, { ...json, Link: link }).end('[]'));
    expect(error.reason).toMatch(/another origin/);
    expect(elsewhere.log).toEqual([]);
  });

  it('a list whose body stalls after the headers fails closed within the attempt timeout', async () => {
    const { error, log } = await hostileOrders((response) => {
      response.writeHead(200, json);
      response.write('[{"id":'); // and nothing more
    });
    expect(error.reason).toMatch(/stalled/);
    expect(log.filter((line) => line.startsWith('GET'))).toHaveLength(1);
  });
});
