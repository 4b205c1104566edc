/**
 * Property: whatever a normalizing API does to a stored order (within what real APIs do), the
 * order recipe never calls it absent while it exists — so a create that committed and then
 * answered 500 is recovered, never sent twice. A real local server stores each create the way
 * the run's normalization says and then answers 500; its list serves what it stored.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byRoute, createFetch, fulfillmentOrders, idempotency, retry } from '../src/index.js';

type Json = Record<string, unknown>;
interface Line { sku: string; quantity: number }
interface Order { campaignId: string; shipTo: Json; products: Line[] }

let server: Server;
let base = '';
let normalize: (order: Order) => Json = (order) => ({ ...order });
let stored: Json[] = [];
let posts = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', base);
      if (request.method === 'POST') {
        posts += 1;
        const order = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Order;
        stored.push({ ...normalize(order), id: `ord_${posts}`, createdAt: new Date().toISOString() });
        response.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"Internal server error"}');
        return;
      }
      const page = url.searchParams.get('page') ?? '1';
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(page === '1' ? stored : []));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const word = fc.stringMatching(/^[A-Za-zÀ-ÿ]{1,8}( [A-Za-zÀ-ÿ]{1,8})?$/);
const order: fc.Arbitrary<Order> = fc.record({
  campaignId: fc.stringMatching(/^[a-z0-9-]{1,12}$/),
  shipTo: fc.record(
    {
      name: word,
      email: fc.tuple(fc.stringMatching(/^[A-Za-z0-9.]{1,10}$/), fc.stringMatching(/^[A-Za-z]{1,8}$/)).map(([user, host]) => `${user}@${host}.com`),
      address1: word,
      city: word,
      zip: fc.stringMatching(/^[0-9]{5}$/),
      country: fc.constantFrom('US', 'DE', 'FR'),
      address2: word,
    },
    { requiredKeys: ['name', 'email', 'address1', 'city', 'zip', 'country'] },
  ),
  products: fc.uniqueArray(fc.record({ sku: fc.stringMatching(/^SKU-[0-9]{1,3}$/), quantity: fc.integer({ min: 1, max: 20 }) }), {
    minLength: 1,
    maxLength: 4,
    selector: (line) => line.sku,
  }),
});

/** One way a real API may store what it was sent; each flag is one habit of real APIs. */
const normalization = fc.record({
  lowerEmail: fc.boolean(),
  upperEmailHost: fc.boolean(),
  pad: fc.boolean(),
  decompose: fc.boolean(),
  addDefaults: fc.boolean(),
  numbersAsStrings: fc.boolean(),
  reverseLines: fc.boolean(),
  serverFields: fc.boolean(),
});
type Normalization = typeof normalization extends fc.Arbitrary<infer T> ? T : never;

function normalizer(how: Normalization): (sent: Order) => Json {
  const textOf = (value: string): string => {
    const form = how.decompose ? value.normalize('NFD') : value.normalize('NFC');
    return how.pad ? `  ${form} ` : form;
  };
  return (sent) => {
    const shipTo: Json = Object.fromEntries(Object.entries(sent.shipTo).map(([key, value]) => [key, textOf(String(value))]));
    const email = String(sent.shipTo.email);
    const [user = '', host = ''] = email.split('@');
    shipTo.email = how.lowerEmail ? email.toLowerCase() : how.upperEmailHost ? `${user}@${host.toUpperCase()}` : email;
    if (how.addDefaults && shipTo.address2 === undefined) shipTo.address2 = null;
    const lines = sent.products.map((line) => ({
      sku: textOf(line.sku),
      quantity: how.numbersAsStrings ? String(line.quantity) : line.quantity,
      ...(how.addDefaults ? { unitPrice: null } : {}),
    }));
    return {
      campaignId: sent.campaignId,
      shipTo,
      products: how.reverseLines ? lines.reverse() : lines,
      status: 'pending',
      ...(how.serverFields ? { source: 'api', updatedAt: new Date().toISOString() } : {}),
    };
  };
}

describe('the order recipe against normalized storage (property)', () => {
  it('never calls a normalized order absent: the create is recovered and sent once', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(order, normalization, async (sent, how) => {
        run += 1;
        normalize = normalizer(how);
        stored = [];
        posts = 0;
        const sureFetch = createFetch({
          middleware: [idempotency({ existenceCheck: byRoute(fulfillmentOrders({ settleDelaysMs: [0] })) }), retry({ baseDelayMs: 1 })],
        });
        const response = await sureFetch(`${base}/v1/orders/create`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(sent),
          surefetch: { idempotencyScope: `property-${run}` },
        });
        expect(response.status).toBe(201);
        expect(((await response.json()) as { id: string }).id).toBe('ord_1');
        expect(posts).toBe(1);
      }),
      { numRuns: 150 },
    );
  });
});
