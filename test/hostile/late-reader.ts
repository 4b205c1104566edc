/**
 * An API that acts on a create late: the request waits, unanswered, behind a busy worker (a
 * queue in a load balancer, a congested server) for `holdMs`, and is then committed whether or
 * not the client is still waiting, as a server that already received it would. Unlike the
 * bundled emulator, its list answers at once, so every read made before the commit sees nothing.
 *
 * `POST /v1/items` (JSON with an `email`) → after `holdMs`, stores `{ id, email, createdAt }`
 * and answers 201 with it. `GET /v1/items?email=` → the stored items with that email, as an array.
 */
import { lookupExistence, type ExistenceCheck, type FetchFunction, type LookupOptions } from '../../src/index.js';
import { startHostileServer, type HostileServer } from './server.js';

/** An item the late reader stored. */
export interface LateItem {
  readonly id: string;
  readonly email: string;
  readonly createdAt: string;
}

/** A running late reader: the hostile server, and what it stored. */
export interface LateReader extends HostileServer {
  readonly items: LateItem[];
  /** When each create arrived (ms since the epoch), in order. */
  readonly postTimes: number[];
}

/**
 * Starts a server that holds every create `holdMs(n)` (n: the create's number, from 1) before
 * committing and answering it; a create for which `refuses(n)` is true is answered 500 at once
 * and not committed. With `gatewayTimeoutMs`, a gateway in front gives up on a create held
 * longer: it answers 504 then, and the server behind it still commits at `holdMs(n)`. With
 * `resetAfterMs`, the connection of a create held longer is reset then (TCP RST, no answer at
 * all), and the server still commits at `holdMs(n)`.
 *
 * @example
 * ```ts
 * const api = await startLateReader(() => 300); // every create lands 300 ms after it arrives
 * ```
 */
export async function startLateReader(holdMs: (n: number) => number, refuses: (n: number) => boolean = () => false, gatewayTimeoutMs?: number, resetAfterMs?: number): Promise<LateReader> {
  const items: LateItem[] = [];
  const postTimes: number[] = [];
  const server = await startHostileServer((seen, response) => {
    const url = new URL(seen.path, 'http://late.test');
    if (seen.method === 'GET' && url.pathname === '/v1/items') {
      const email = url.searchParams.get('email');
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(items.filter((item) => item.email === email)));
      return;
    }
    if (seen.method !== 'POST' || url.pathname !== '/v1/items') {
      response.writeHead(404).end();
      return;
    }
    postTimes.push(Date.now());
    const creates = postTimes.length;
    if (refuses(creates)) {
      response.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"try again"}');
      return;
    }
    const { email } = JSON.parse(seen.body) as { email: string };
    const held = holdMs(creates);
    if (gatewayTimeoutMs !== undefined && held > gatewayTimeoutMs) {
      setTimeout(() => {
        if (!response.destroyed) response.writeHead(504, { 'content-type': 'text/plain' }).end('gateway timeout');
      }, gatewayTimeoutMs);
    }
    // The connection is reset while the server goes on with the create (a socket timeout that
    // destroys the connection, not the handler), so the client hears no answer at all.
    if (resetAfterMs !== undefined && held > resetAfterMs) setTimeout(() => response.socket?.resetAndDestroy(), resetAfterMs);
    setTimeout(() => {
      const item = { id: `item_${String(items.length + 1)}`, email, createdAt: new Date().toISOString() };
      items.push(item);
      if (!response.destroyed && !response.headersSent) response.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(item));
    }, held);
  });
  return Object.assign(server, { items, postTimes });
}

/** The existence check for the late reader's items: its list by email, read at 0 and 50 ms unless `options` say otherwise. */
export function lateItemsCheck(options: Partial<LookupOptions> = {}): ExistenceCheck {
  return lookupExistence({
    lookupUrl: ({ url }) => new URL('/v1/items?email=ada%40example.com', url),
    candidates: (found) => (Array.isArray(found) ? found : undefined),
    settleDelaysMs: [0, 50],
    ...options,
  });
}

/** Creates the one item the tests make (`ada@example.com`) through `sureFetch`, under `scope` when given. */
export function postItem(sureFetch: FetchFunction, url: string, scope?: string): Promise<Response> {
  const surefetch = scope === undefined ? {} : { surefetch: { idempotencyScope: scope } };
  return sureFetch(`${url}/v1/items`, { method: 'POST', body: JSON.stringify({ email: 'ada@example.com' }), headers: { 'content-type': 'application/json' }, ...surefetch });
}
