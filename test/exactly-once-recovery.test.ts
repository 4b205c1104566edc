/**
 * Exactly once against an API that normalizes what it stores (issue 7): a create whose first
 * attempt landed is recovered from the list, whatever the API did to the fields, across pages the
 * API sizes itself, through a list shape the caller describes, and — with a reference written into
 * the order or a proof that no one else wrote it — in fewer reads than the settle window.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bodyPaging, comparators, lookupExistence, systemClock, type ExistenceRecipe } from '../src/index.js';
import type { Fault } from './emulator/index.js';
import { client, closeAll, CREATE, listReads, ordersFor, pagesRead, posts } from './exactly-once-harness.js';
import { pushEarlierOrders, settleReads, startApi, storedOrder } from './exactly-once-harness.js';

afterEach(closeAll);

const landedThenLost: Array<[string, Fault]> = [
  ['commits, then answers 500', { kind: 'commit-then-500' }],
  ['commits, then resets the connection', { kind: 'commit-then-reset' }],
  ['commits, then stalls past the attempt timeout', { kind: 'commit-then-stall' }],
];

describe('a normalizing API: the first attempt landed, its answer was lost', () => {
  it.each(landedThenLost)('%s: the caller gets the stored order (201, recovered by lookup); one order, one POST', async (_name, fault) => {
    const { api, clock } = await startApi();
    api.faults.script(CREATE, fault);
    const { create, events } = client(api, clock);
    const response = await create();
    const stored = ordersFor(api);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.shipTo).toMatchObject({ name: 'Jos\u00e9 Buyer', address2: null }); // the API did normalize it
    expect([response.status, response.headers.get('x-surefetch-recovered')]).toEqual([201, 'lookup']);
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify(stored[0])));
    expect(posts(api)).toBe(1);
    expect(events).toContainEqual(expect.objectContaining({ type: 'recovered', via: 'lookup' }));
    // Without a reference or a proof of exclusivity, a match is accepted only after the whole settle
    // window; each read's short first page is confirmed by an empty page 2.
    expect(pagesRead(api)).toEqual(Array(4).fill(['1', '2']).flat());
  });

  it('commits 400 ms after its 500, after the first reads: a later settle read finds it (system clock)', async () => {
    const { api } = await startApi({}, systemClock);
    api.faults.script(CREATE, { kind: 'commit-late', commitDelayMs: 400 });
    const response = await client(api, systemClock, { recipe: { settleDelaysMs: [0, 200, 400, 800] } }).create();
    const stored = ordersFor(api);
    expect([response.status, ((await response.json()) as { id: string }).id]).toEqual([201, stored[0]?.id]);
    expect([stored.length, posts(api)]).toEqual([1, 1]);
    // The first read came before the commit.
    expect(listReads(api)[0]?.time).toBeLessThan(Date.parse(stored[0]?.createdAt ?? ''));
  });

  it('reads pages 2 and 3 when the API serves 50 of the 100 asked and 120 earlier orders come first (no paging signal)', async () => {
    const { api, clock } = await startApi({ maxPageSize: 50 });
    pushEarlierOrders(api, 120);
    api.faults.script(CREATE, { kind: 'commit-then-500' });
    const response = await client(api, clock).create();
    expect(((await response.json()) as { id: string }).id).toBe('ord_000001');
    expect(ordersFor(api)).toHaveLength(121);
    expect(posts(api)).toBe(1);
    expect(pagesRead(api)).toEqual(Array(4).fill(['1', '2', '3']).flat());
    expect(listReads(api).every((request) => request.query.pageSize === '100')).toBe(true);
  });

  it("follows the Link header to pages 2 and 3 under pageSignal 'link', and stops where it ends", async () => {
    const { api, clock } = await startApi({ maxPageSize: 50, pageSignal: 'link' });
    pushEarlierOrders(api, 120);
    api.faults.script(CREATE, { kind: 'commit-then-reset' });
    const response = await client(api, clock).create();
    expect(((await response.json()) as { id: string }).id).toBe('ord_000001');
    expect([ordersFor(api).length, posts(api)]).toEqual([121, 1]);
    expect(pagesRead(api)).toEqual(Array(4).fill(['1', '2', '3']).flat());
  });
});

describe('a list shape the recipe does not know, described by the caller', () => {
  interface Sent {
    campaignId: string;
    shipTo: { email: string };
  }
  const envelopeOrders: ExistenceRecipe = {
    method: 'POST',
    path: '/v1/orders/create',
    check: lookupExistence({
      lookupUrl: ({ url, body }) => {
        const sent = body as Sent;
        const query = new URLSearchParams({ campaignId: sent.campaignId, email: sent.shipTo.email });
        return new URL(`list?${query.toString()}`, url);
      },
      candidates: (body) => {
        const data = (body as { data?: unknown } | null)?.data;
        return Array.isArray(data) ? data : undefined;
      },
      paging: bodyPaging((body) => (body as { next?: unknown }).next),
      requiredFields: ['id', 'createdAt', 'campaignId', 'shipTo.email'],
      identifies: (found, { body }) =>
        comparators.text((body as Sent).campaignId, (found as Sent).campaignId) &&
        comparators.email((body as Sent).shipTo.email, (found as Sent).shipTo.email),
      createdAt: (found) => Date.parse((found as { createdAt: string }).createdAt),
    }),
  };

  it("a lookupExistence reading body.data and following body.next recovers against listShape 'envelope' (page 3)", async () => {
    const { api, clock } = await startApi({ listShape: 'envelope', maxPageSize: 50 });
    pushEarlierOrders(api, 120);
    api.faults.script(CREATE, { kind: 'commit-then-500' });
    const { create, events } = client(api, clock, { recipes: [envelopeOrders] });
    const response = await create();
    expect([response.status, ((await response.json()) as { id: string }).id]).toEqual([201, 'ord_000001']);
    expect([ordersFor(api).length, posts(api)]).toEqual([121, 1]);
    // The first lookup names no page; the API's `next` URLs carry pages 2 and 3.
    expect(pagesRead(api)).toEqual(Array(4).fill(['?', '2', '3']).flat());
    expect(events).toContainEqual(expect.objectContaining({ type: 'recovered', via: 'lookup' }));
  });
});

describe('fast recovery', () => {
  it('writeReference: the stored order carries the client request id in externalRef and one lookup read recovers it', async () => {
    const { api, clock } = await startApi();
    api.faults.script(CREATE, { kind: 'commit-then-500' });
    const { create } = client(api, clock, { recipe: { writeReference: true } });
    const response = await create({ clientRequestId: 'crid-ref-1' });
    const stored = ordersFor(api);
    expect(stored.map((order) => order.externalRef)).toEqual(['crid-ref-1']);
    const sent = api.requests.find((request) => request.routeKey === CREATE)?.body;
    expect(sent).toMatchObject({ externalRef: 'crid-ref-1' });
    expect(((await response.json()) as { id: string }).id).toBe(stored[0]?.id);
    expect([settleReads(api), posts(api)]).toEqual([1, 1]);
  });

  it('writeReference: an order of another call in the window, with its own reference and other products, is not mistaken for a near match', async () => {
    const { api, clock } = await startApi();
    const products = [{ sku: 'SKU-9', quantity: '1' }];
    const theirs = storedOrder('theirs', new Date(clock.now()).toISOString(), { externalRef: 'someone-else', products });
    api.records.orders.push(theirs);
    api.faults.script(CREATE, { kind: 'commit-then-reset' });
    const { create } = client(api, clock, { recipe: { writeReference: true } });
    const response = await create({ clientRequestId: 'crid-ref-2' });
    expect(((await response.json()) as { externalRef: string }).externalRef).toBe('crid-ref-2');
    expect([ordersFor(api).length, posts(api), settleReads(api)]).toEqual([2, 1, 1]);
  });

  // The list lags 300 ms behind writes: the read right after the 50 ms backoff misses the order,
  // the read 250 ms later shows it.
  it('without soleWriter the check reads the whole settle window (4 reads) although read 2 shows the order', async () => {
    const { api, clock } = await startApi({ listLagMs: 300 });
    api.faults.script(CREATE, { kind: 'commit-then-500' });
    await client(api, clock).create();
    expect([settleReads(api), ordersFor(api).length, posts(api)]).toEqual([4, 1, 1]);
  });

  it('soleWriter: a call that held its campaign + recipient alone recovers at the first read that shows its order (read 2 of 4)', async () => {
    const { api, clock } = await startApi({ listLagMs: 300 });
    api.faults.script(CREATE, { kind: 'commit-then-500' });
    const { create, events } = client(api, clock, { recipe: { soleWriter: true } });
    const response = await create();
    expect(((await response.json()) as { id: string }).id).toBe('ord_000001');
    expect([settleReads(api), ordersFor(api).length, posts(api)]).toEqual([2, 1, 1]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'recovered', via: 'lookup' }));
  });

  it('soleWriter: while another call with the same campaign + recipient (another scope) is live, the check reads the whole window', async () => {
    const { api, clock } = await startApi({ listLagMs: 300 });
    // B's create is held 1.5 s by the server before it commits; A's first attempt lands and its answer is lost.
    api.faults.script(CREATE, { kind: 'delay', ms: 1500 }, { kind: 'commit-then-500' });
    const { create } = client(api, clock, { recipe: { soleWriter: true } });
    const callB = create({ idempotencyScope: 'job-B:create-order', attemptTimeoutMs: 5000 });
    while (posts(api) < 1) await new Promise((resolve) => setTimeout(resolve, 5));
    const responseA = await create({ idempotencyScope: 'job-A:create-order' });
    const readsOfA = settleReads(api);
    expect(((await responseA.json()) as { id: string }).id).toBe('ord_000001');
    expect(ordersFor(api)).toHaveLength(1); // B has not committed yet: A's reads saw only its own order
    expect(readsOfA).toBe(4);
    expect(((await (await callB).json()) as { id: string }).id).toBe('ord_000002');
    expect([ordersFor(api).length, posts(api)]).toEqual([2, 2]);
  });
});
