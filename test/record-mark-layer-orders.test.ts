/**
 * The re-send after a 429 is recorded in flight before it leaves, whatever
 * the order of the layers below idempotency (no retry at all, rateLimit outside retry, a circuit
 * breaker in between), and a 408 re-sent by retry alone. Real Redis, real local HTTP server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { circuitBreaker, createFetch, idempotency, rateLimit, retry, type Middleware, type RequestStore } from '../src/index.js';
import { redisStore } from '../src/store/redis-store.js';
import { lateItemsCheck, postItem } from './hostile/late-reader.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';
import { redisForTests } from './support/services.js';
import { uniqueNamespace } from './support/store-contract.js';

const redis = await redisForTests();
if (redis.skipReason) console.warn(`Layer-order tests skipped: ${redis.skipReason}`);

let server: HostileServer | undefined;
const opened: RequestStore[] = [];
afterEach(async () => { await server?.close(); await Promise.all(opened.splice(0).map((s) => s.close())); });

describe.skipIf(!redis.url)('the re-send after a refusal is recorded in flight (attempt 2, sent after the refusal) before it leaves', () => {
  it.each([
    ['rateLimit only', 429, (): Middleware[] => [rateLimit()]],
    ['rateLimit outside retry', 429, (): Middleware[] => [rateLimit(), retry({ baseDelayMs: 1 })]],
    ['retry, breaker, rateLimit', 429, (): Middleware[] => [retry({ baseDelayMs: 1 }), circuitBreaker(), rateLimit()]],
    ['retry after a 408', 408, (): Middleware[] => [retry({ baseDelayMs: 1 })]],
  ] as const)('%s', async (name, refusal, layers) => {
    const store = redisStore({ url: redis.url ?? '', namespace: uniqueNamespace() });
    opened.push(store);
    let posts = 0;
    let refusedAt = 0;
    const seen: unknown[] = [];
    server = await startHostileServer((s, res) => {
      if (s.method === 'GET') return void res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
      posts += 1;
      if (posts === 1) { refusedAt = Date.now(); return void res.writeHead(refusal, { 'retry-after': '0' }).end('{}'); }
      void store.get(`lo:${name}`).then((r) => {
        seen.push({ attempts: r?.attempts, after: (r?.inFlight?.sentAt ?? 0) >= refusedAt });
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"x"}');
      });
    });
    const f = createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() }), ...layers()] });
    const r = await postItem(f, server.url, `lo:${name}`);
    const settled = await store.get(`lo:${name}`);
    expect(seen).toEqual([{ attempts: 2, after: true }]);
  });
});
