/**
 * Two sends of one call out at once (a middleware of the user's below idempotency that hedges):
 * the first one's answered 500 must not drop the record's in-flight mark while the second is
 * still out at the API. (Found in review.) Real Redis, real local HTTP server.
 */
import { afterEach, expect, it } from 'vitest';
import { createFetch, idempotency, type Middleware, type RequestStore } from '../src/index.js';
import { redisStore } from '../src/store/redis-store.js';
import { lateItemsCheck, postItem } from './hostile/late-reader.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';
import { redisForTests } from './support/services.js';
import { uniqueNamespace } from './support/store-contract.js';

const redis = await redisForTests();
if (redis.skipReason) console.warn(`Concurrent-sends test skipped: ${redis.skipReason}`);

let server: HostileServer | undefined;
const opened: RequestStore[] = [];
afterEach(async () => { await server?.close(); await Promise.all(opened.splice(0).map((s) => s.close())); });

// Sends the call a second time 50 ms after the first; the first 2xx wins, else the last answer.
const hedge: Middleware = async (ctx, next) => {
  const first = next(ctx);
  const second = new Promise((r) => setTimeout(r, 50)).then(() => next(ctx));
  const [a, b] = await Promise.all([first, second]);
  return a.ok ? a : b;
};

it.skipIf(!redis.url)('a send still out keeps the record in flight when another send of the call is answered 500', async () => {
  const store = redisStore({ url: redis.url ?? '', namespace: uniqueNamespace() });
  opened.push(store);
  let posts = 0;
  let whileSecondOut: unknown = 'not read';
  server = await startHostileServer((_s, res) => {
    posts += 1;
    if (posts === 1) return void setTimeout(() => res.writeHead(500).end('oops'), 150);
    // The second send is held 800 ms; 400 ms in, after the first one's 500, look at the record.
    setTimeout(() => void store.get('cc:1').then((r) => (whileSecondOut = r?.inFlight)), 400);
    setTimeout(() => res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"x"}'), 800);
  });
  const f = createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() }), hedge] });
  const response = await postItem(f, server.url, 'cc:1');
  expect(whileSecondOut).toBeDefined();
});
