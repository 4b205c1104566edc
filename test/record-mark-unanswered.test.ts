/**
 * Sends whose outcome is not known keep the record's in-flight mark (a
 * redirect's intermediate hop, a reset after the write, a timeout) and the re-send after them is
 * marked again. Real Redis, real local HTTP server.
 */
import { afterEach, expect, it } from 'vitest';
import { createFetch, idempotency, retry, type RequestStore } from '../src/index.js';
import { redisStore } from '../src/store/redis-store.js';
import { postItem } from './hostile/late-reader.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';
import { redisForTests } from './support/services.js';
import { uniqueNamespace } from './support/store-contract.js';

const redis = await redisForTests();
if (redis.skipReason) console.warn(`Unanswered-path mark tests skipped: ${redis.skipReason}`);

let server: HostileServer | undefined;
const opened: RequestStore[] = [];
afterEach(async () => { await server?.close(); await Promise.all(opened.splice(0).map((s) => s.close())); });
const open = (): RequestStore => { const s = redisStore({ url: redis.url ?? '', namespace: uniqueNamespace() }); opened.push(s); return s; };
const look = (store: RequestStore, scope: string) => store.get(scope).then((r) => ({ attempts: r?.attempts, inFlight: r?.inFlight !== undefined, unanswered: r?.unanswered !== undefined }));

it.skipIf(!redis.url)('a 307 hop: the record holds the send in flight while the hop is out', async () => {
  const store = open();
  const seen: unknown[] = [];
  server = await startHostileServer((s, res) => {
    if (s.path === '/v1/items') return void res.writeHead(307, { location: '/v1/items-moved' }).end();
    void look(store, 'rd:1').then((r) => { seen.push(r); res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"x"}'); });
  });
  const f = createFetch({ middleware: [idempotency({ store, keyHeader: 'Idempotency-Key' }), retry({ baseDelayMs: 1 })] });
  expect((await postItem(f, server.url, 'rd:1')).status).toBe(201);
  expect(seen).toEqual([{ attempts: 1, inFlight: true, unanswered: false }]);
});

it.skipIf(!redis.url)('a reset after the write: in flight through the backoff; a timeout: re-send marked, unanswered kept', async () => {
  const store = open();
  const seen: unknown[] = [];
  let posts = 0;
  server = await startHostileServer((_s, res, req) => {
    posts += 1;
    if (posts === 1) { req.socket.destroy(); setTimeout(() => void look(store, 'rs:1').then((r) => seen.push(['backoff after reset', r])), 300); return; }
    if (posts === 2) return; // never answered: attempt timeout
    void look(store, 'rs:1').then((r) => { seen.push(['third send', r]); res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"x"}'); });
  });
  const f = createFetch({ middleware: [idempotency({ store, keyHeader: 'Idempotency-Key' }), retry({ baseDelayMs: 1000, maxDelayMs: 1000 })], random: () => 0.9, attemptTimeoutMs: 400 });
  const r = await postItem(f, server.url, 'rs:1');
  expect(seen).toEqual([['backoff after reset', { attempts: 1, inFlight: true, unanswered: false }], ['third send', { attempts: 3, inFlight: true, unanswered: true }]]);
}, 15_000);
