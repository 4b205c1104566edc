/**
 * APIs store what they are sent in their own form. The existence check took a create stored so
 * for someone else's, proof that it had not landed, and the fulfillment recipe sent it again: a
 * reference trimmed, re-cased or turned into a number, an identifying key in another case, a
 * creation time as epoch seconds, a date alone or a time without a zone, an e-mail domain in
 * its ASCII (punycode) form. Now the caller's own
 * create is recovered where its time reads for sure (epoch seconds), and everything else that is
 * ours but for the server's normalizing fails closed: ExistenceCheckError, one POST.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ExistenceCheckError } from '../src/index.js';
import { checkedCreate } from './support/checked-create.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

type Stored = Record<string, unknown>;
let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const order = (extra: Record<string, unknown> = {}) => ({
  campaignId: 'cmp_1',
  shipTo: { name: 'Ada Buyer', email: 'ada@example.com', address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' },
  products: [{ sku: 'SKU-1', quantity: 2 }],
  ...extra,
});

// Commits every create, answers the first with a 500, lists what matches case-insensitively.
async function normalizingApi(normalize: (sent: Stored, id: string, now: number) => Stored): Promise<HostileServer> {
  const stored: Stored[] = [];
  const fold = (value: unknown) => String(value ?? '').trim().toLowerCase();
  return startHostileServer((seen, response) => {
    if (seen.method === 'POST') {
      const item = normalize(JSON.parse(seen.body) as Stored, `ord_${stored.length + 1}`, Date.now());
      stored.push(item);
      response.writeHead(stored.length === 1 ? 500 : 201, { 'content-type': 'application/json' });
      response.end(stored.length === 1 ? '{"message":"Internal error"}' : JSON.stringify(item));
      return;
    }
    const url = new URL(seen.path, 'http://x');
    const campaign = fold(url.searchParams.get('campaignId'));
    response.writeHead(200, { 'content-type': 'application/json' });
    const pageNumber = Number(url.searchParams.get('page') ?? 1);
    const size = Number(url.searchParams.get('pageSize') ?? 100);
    response.end(JSON.stringify(stored.filter((item) => fold(item.campaignId) === campaign).slice((pageNumber - 1) * size, pageNumber * size)));
  });
}

const create = (body: Record<string, unknown>): Promise<unknown> => checkedCreate(server!.url, body, 'crid-normalized-1');

const posts = () => server!.requests.filter((seen) => seen.method === 'POST').length;
const iso = (ms: number) => new Date(ms).toISOString();

describe('a create the server stored in its own form', () => {
  it.each([
    ['a reference trimmed', order({ externalRef: 'REF-42 ' }), (sent: Stored, id: string, now: number) => ({ ...sent, externalRef: String(sent.externalRef).trim(), id, createdAt: iso(now) })],
    ['a reference upper-cased', order({ externalRef: 'ref-42' }), (sent: Stored, id: string, now: number) => ({ ...sent, externalRef: String(sent.externalRef).toUpperCase(), id, createdAt: iso(now) })],
    ['a reference turned into a number', order({ externalRef: '12345' }), (sent: Stored, id: string, now: number) => ({ ...sent, externalRef: Number(sent.externalRef), id, createdAt: iso(now) })],
    ['an identifying key lower-cased', order({ campaignId: 'Spring-Sale' }), (sent: Stored, id: string, now: number) => ({ ...sent, campaignId: String(sent.campaignId).toLowerCase(), id, createdAt: iso(now) })],
    ['a recipient e-mail domain stored in its ASCII form', order({ shipTo: { ...order().shipTo, email: 'ada@bücher.de' } }), (sent: Stored, id: string, now: number) => ({ ...sent, shipTo: { ...(sent.shipTo as Stored), email: 'ada@xn--bcher-kva.de' }, id, createdAt: iso(now) })],
    ['a creation date without its time', order(), (sent: Stored, id: string, now: number) => ({ ...sent, id, createdAt: iso(now).slice(0, 10) })],
    ['a creation time without its zone, hours ahead', order(), (sent: Stored, id: string, now: number) => ({ ...sent, id, createdAt: iso(now - 9 * 3_600_000).slice(0, 19) })],
  ])('%s: fails closed with ExistenceCheckError and its client request id, one POST', async (_name, body, normalize) => {
    server = await normalizingApi(normalize);
    const error = await create(body);
    expect(error).toBeInstanceOf(ExistenceCheckError);
    expect((error as ExistenceCheckError).clientRequestId).toBe('crid-normalized-1');
    expect(posts()).toBe(1);
  });

  it('an e-mail domain stored in its ASCII form: the near match names the forms a server stores keys in', async () => {
    server = await normalizingApi((sent, id, now) => ({ ...sent, shipTo: { ...(sent.shipTo as Stored), email: 'ada@xn--bcher-kva.de' }, id, createdAt: iso(now) }));
    const error = (await create(order({ shipTo: { ...order().shipTo, email: 'ada@bücher.de' } }))) as ExistenceCheckError;
    expect(error.nearMatches?.map((near) => near.differences)).toEqual([['identifying fields (stored in another form: case, spacing, Unicode composition or an e-mail domain in ASCII)']]);
  });

  it('a creation time in epoch seconds: recovered, one POST', async () => {
    server = await normalizingApi((sent, id, now) => ({ ...sent, id, createdAt: Math.floor(now / 1000) }));
    const response = (await create(order())) as Response;
    expect(response.status).toBe(201);
    expect(((await response.json()) as Stored).id).toBe('ord_1');
    expect(posts()).toBe(1);
  });

  it("another call's reference, not ours in any form, is someone else's: the create is sent again", async () => {
    server = await normalizingApi((sent, id, now) => ({ ...sent, externalRef: posts() === 1 ? 'REF-OTHER' : sent.externalRef, id, createdAt: iso(now) }));
    const response = (await create(order({ externalRef: 'REF-42' }))) as Response;
    expect(response.status).toBe(201);
    expect(posts()).toBe(2);
  });

  it('an older order whose keys agree only once case is set aside is not ours: the create that did not land is sent again', async () => {
    const old = { ...order(), id: 'ord_old', campaignId: 'CMP_1', createdAt: iso(Date.now() - 30 * 86_400_000) };
    const stored: Stored[] = [old];
    server = await startHostileServer((seen, response) => {
      if (seen.method === 'POST') {
        if (posts() === 1) {
          // Nothing stored: the create did not land.
          response.writeHead(500, { 'content-type': 'application/json' });
          response.end('{"message":"db down"}');
          return;
        }
        const item = { ...(JSON.parse(seen.body) as Stored), id: 'ord_2', campaignId: 'CMP_1', createdAt: iso(Date.now()) };
        stored.push(item);
        response.writeHead(201, { 'content-type': 'application/json' });
        response.end(JSON.stringify(item));
        return;
      }
      const url = new URL(seen.path, 'http://x');
      const pageNumber = Number(url.searchParams.get('page') ?? 1);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(pageNumber === 1 ? stored.filter((item) => String(item.campaignId).toLowerCase() === 'cmp_1') : []));
    });
    const response = (await create(order())) as Response;
    expect(response.status).toBe(201);
    expect(((await response.json()) as Stored).id).toBe('ord_2');
    expect(posts()).toBe(2);
  });
});
