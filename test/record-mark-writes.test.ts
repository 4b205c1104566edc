/**
 * What the in-flight marks cost: a create answered 2xx at once makes no more record writes than
 * before them (the claim's record, then the send's mark and the settle); each answered failure
 * before a re-send costs two (the mark dropped, then made again). And a 504 during retry's
 * backoff leaves the send unanswered in the record. Real Redis, real HTTP server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFetch, idempotency, retry, rateLimit, type RequestStore } from '../src/index.js';
import { redisStore } from '../src/store/redis-store.js';
import { postItem } from './hostile/late-reader.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';
import { redisForTests } from './support/services.js';
import { uniqueNamespace } from './support/store-contract.js';

const redis = await redisForTests();
if (redis.skipReason) console.warn(`Record-write tests skipped: ${redis.skipReason}`);

let server: HostileServer | undefined;
const opened: RequestStore[] = [];
afterEach(async () => { await server?.close(); await Promise.all(opened.splice(0).map((s) => s.close())); });

function counted() {
  const inner = redisStore({ url: redis.url ?? '', namespace: uniqueNamespace() });
  opened.push(inner);
  const c = { updates: 0 };
  const store: RequestStore = {
    claim: inner.claim.bind(inner), get: inner.get.bind(inner), delete: inner.delete.bind(inner), close: async () => undefined,
    update: (...a: Parameters<RequestStore['update']>) => { c.updates += 1; return inner.update(...a); },
  };
  return { store, inner, c };
}

describe.skipIf(!redis.url)('record writes', () => {
  it.each([
    { name: '201', statuses: [201], updates: 2 },
    { name: '400', statuses: [400], updates: 3 },
    { name: '429 then 201', statuses: [429, 201], updates: 4 },
    { name: '500 then 201', statuses: [500, 201], updates: 4 },
    { name: '408 then 201', statuses: [408, 201], updates: 4 },
  ])('$name: $updates record updates', async ({ name, statuses, updates }) => {
    const { store, c } = counted();
    let n = 0;
    server = await startHostileServer((_s, res) => { const st = statuses[Math.min(n, statuses.length - 1)] ?? 500; n += 1; res.writeHead(st, { 'retry-after': '0', 'content-type': 'application/json' }).end('{"id":"x"}'); });
    const f = createFetch({ middleware: [idempotency({ store, keyHeader: 'Idempotency-Key' }), retry({ baseDelayMs: 1 })] });
    const r = await postItem(f, server.url, `w:${name}`).catch((e: unknown) => e);
    expect([r instanceof Response ? r.status : (r as { status?: number }).status, n, c.updates]).toEqual([statuses.at(-1), statuses.length, updates]);
  });

  it('504 then backoff: the record holds the send unanswered during the backoff', async () => {
    const { store, inner } = counted();
    let n = 0;
    let during: unknown;
    server = await startHostileServer((_s, res) => {
      n += 1;
      if (n === 1) {
        res.writeHead(504).end('gateway timeout');
        setTimeout(() => void inner.get('w:504').then((r) => (during = { attempts: r?.attempts, inFlight: r?.inFlight, unanswered: r?.unanswered })), 300);
        return;
      }
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"x"}');
    });
    const f = createFetch({ middleware: [idempotency({ store, keyHeader: 'Idempotency-Key' }), retry({ baseDelayMs: 1000, maxDelayMs: 1000 })], random: () => 0.9, attemptTimeoutMs: 5000 });
    const r = await postItem(f, server.url, 'w:504');
    expect((during as { unanswered?: unknown }).unanswered).toBeDefined();
  });
});
