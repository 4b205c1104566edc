/**
 * A server whose clock is behind ours stamps our create earlier than we sent it. Past the
 * check's skew allowance (`clockSkewMs`, 30 s), the existence check took it for an earlier
 * order of someone else's, proof that ours had not landed, and sent it again: two orders. When
 * the lookup's own `Date` shows the server's clock that far behind, such a candidate is now a
 * near match: ExistenceCheckError with the client request id, one POST. Without that evidence
 * (no `Date`; a server in step with ours, whose `Date` is cut to the second; a cached answer's
 * old `Date` with its `Age`; a `Date` more than a day off, which is broken), an order created
 * before the window stays someone else's.
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

const order = {
  campaignId: 'cmp_clock',
  shipTo: { name: 'Ada Buyer', email: 'ada@example.com', address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' },
  products: [{ sku: 'SKU-1', quantity: 2 }],
};

interface ClockOptions {
  /** How far the server's clock (its createdAt) is behind ours. */
  readonly behindMs: number;
  /** What its `Date` header says: its own clock, none, an absurd one, or its own 2 minutes ago with `Age: 120` (a cache's copy). */
  readonly date: 'own' | 'none' | 'epoch' | 'cached';
  /** An identical order stored before the test, this long before now by the server's clock. */
  readonly earlierOrderAgoMs?: number;
}

// Commits every create and answers the first with a 500 (the create landed, its answer did not).
async function skewedApi({ behindMs, date, earlierOrderAgoMs }: ClockOptions): Promise<HostileServer> {
  const serverNow = () => Date.now() - behindMs;
  const stored: Stored[] = earlierOrderAgoMs === undefined ? [] : [{ ...order, id: 'ord_earlier', createdAt: new Date(serverNow() - earlierOrderAgoMs).toISOString() }];
  const head = (): Record<string, string> => ({
    'content-type': 'application/json',
    ...(date === 'own' ? { date: new Date(serverNow()).toUTCString() } : date === 'epoch' ? { date: new Date(0).toUTCString() } : {}),
    ...(date === 'cached' ? { date: new Date(serverNow() - 120_000).toUTCString(), age: '120' } : {}),
  });
  return startHostileServer((seen, response) => {
    // node:http adds a Date of the real clock unless told not to.
    if (date === 'none') response.sendDate = false;
    if (seen.method === 'POST') {
      const item = { ...(JSON.parse(seen.body) as Stored), id: `ord_${stored.length + 1}`, createdAt: new Date(serverNow()).toISOString() };
      stored.push(item);
      const first = stored.filter((entry) => entry.id !== 'ord_earlier').length === 1;
      response.writeHead(first ? 500 : 201, head());
      response.end(first ? '{"message":"Internal error"}' : JSON.stringify(item));
      return;
    }
    const url = new URL(seen.path, 'http://x');
    response.writeHead(200, head());
    const page = Number(url.searchParams.get('page') ?? 1);
    const size = Number(url.searchParams.get('pageSize') ?? 100);
    response.end(JSON.stringify(stored.filter((item) => item.campaignId === url.searchParams.get('campaignId')).slice((page - 1) * size, page * size)));
  });
}

const create = (): Promise<unknown> => checkedCreate(server!.url, order, 'crid-clock-1');

const posts = () => server!.requests.filter((seen) => seen.method === 'POST').length;

describe('a server whose clock is behind ours', () => {
  it('90 s behind, as its Date says: the create it stamped before our send is a near match, ExistenceCheckError, one POST', async () => {
    server = await skewedApi({ behindMs: 90_000, date: 'own' });
    const error = await create();
    expect(error).toBeInstanceOf(ExistenceCheckError);
    expect((error as ExistenceCheckError).clientRequestId).toBe('crid-clock-1');
    expect((error as ExistenceCheckError).message).toMatch(/inside it by the server.s, which its Date shows at least 8\d\.\d s behind ours/);
    expect(posts()).toBe(1);
  });

  it.each([
    ['in step with ours, an identical order from an hour ago', { date: 'own', earlierOrderAgoMs: 3_600_000 }],
    // Its Date, cut to the second, reads up to a second behind: no evidence of a slow clock.
    ['in step with ours, an identical order stamped 30.3 s before our send (just outside clockSkewMs)', { date: 'own', earlierOrderAgoMs: 30_300 }],
    ['in step, its lookup answered from a cache (Date 2 minutes old, Age: 120), an identical order from a minute ago', { date: 'cached', earlierOrderAgoMs: 60_000 }],
    ['a Date of 1970 (broken, not a clock), an identical order from an hour ago', { date: 'epoch', earlierOrderAgoMs: 3_600_000 }],
  ] as const)('%s: the earlier order is someone else\'s, ours is recovered, one POST', async (_name, options) => {
    server = await skewedApi({ behindMs: 0, ...options });
    const response = (await create()) as Response;
    expect(response).toBeInstanceOf(Response);
    expect(((await response.json()) as { id: string }).id).toBe('ord_2');
    expect(posts()).toBe(1);
  });

  it('90 s behind with no Date to show it: nothing proves the earlier-stamped order ours, and the create is sent again (a known limit)', async () => {
    server = await skewedApi({ behindMs: 90_000, date: 'none' });
    const response = await create();
    expect(response).toBeInstanceOf(Response);
    expect(posts()).toBe(2);
  });
});
