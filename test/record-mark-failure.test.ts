/**
 * A record's in-flight mark that fails to land before a re-send (a store error, or LEASE_LOST
 * after another worker took the scope over) stops that send unsent. A retry forced by the
 * user's `shouldRetry` for a `not-sent` attempt then tries the mark again before its send: a
 * send never leaves unmarked, and never after the scope was lost. (Found in review: the mark
 * was noted as made before its write landed.) Real Redis, real local HTTP server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFetch, idempotency, retry, type RequestStore } from '../src/index.js';
import { redisStore } from '../src/store/redis-store.js';
import { lateItemsCheck, postItem } from './hostile/late-reader.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';
import { redisForTests } from './support/services.js';
import { uniqueNamespace } from './support/store-contract.js';

const redis = await redisForTests();

let server: HostileServer | undefined;
const stores: RequestStore[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

// A user policy the option allows: an attempt the library says was not sent may go again.
const retryUnsent = retry({ baseDelayMs: 1, shouldRetry: ({ classification }) => (classification.sent === 'not-sent' ? true : undefined) });

if (redis.skipReason) console.warn(`Record-mark failure tests skipped: ${redis.skipReason}`);

describe.skipIf(!redis.url)('a re-mark that fails before a re-send', () => {
  it('a store error on the re-mark: the forced re-send is marked in flight before it leaves', async () => {
    const inner = redisStore({ url: redis.url ?? '', namespace: uniqueNamespace() });
    stores.push(inner);
    let updates = 0;
    // Update #1: first mark; #2: clear after the 429; #3: re-mark before the re-send -> one blip.
    const store: RequestStore = {
      claim: inner.claim.bind(inner), get: inner.get.bind(inner), delete: inner.delete.bind(inner), close: async () => undefined,
      update: (...args: Parameters<RequestStore['update']>) => {
        updates += 1;
        return updates === 3 ? Promise.reject(new Error('redis blip')) : inner.update(...args);
      },
    };
    const seenAtPost: Array<{ attempts?: number; inFlight?: unknown }> = [];
    let posts = 0;
    server = await startHostileServer((seen, response) => {
      if (seen.method === 'GET') return void response.writeHead(200, { 'content-type': 'application/json' }).end('[]');
      posts += 1;
      if (posts === 1) return void response.writeHead(429, { 'retry-after': '0' }).end('{}');
      void inner.get('rev-1:create').then((record) => {
        seenAtPost.push({ attempts: record?.attempts, inFlight: record?.inFlight });
        response.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"item_1"}');
      });
    });
    const sureFetch = createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() }), retryUnsent] });
    const result = await postItem(sureFetch, server.url, 'rev-1:create').catch((error: unknown) => error);
    // Safety rule: every send is marked in flight in the record before it leaves.
    expect(seenAtPost).toHaveLength(1);
    expect(seenAtPost[0]?.inFlight).toBeDefined();
  });

  it('LEASE_LOST on the re-mark (another worker took the scope over): nothing more is sent', async () => {
    const namespace = uniqueNamespace();
    const store = redisStore({ url: redis.url ?? '', namespace });
    const thief = redisStore({ url: redis.url ?? '', namespace });
    stores.push(store, thief);
    let posts = 0;
    server = await startHostileServer((seen, response) => {
      if (seen.method === 'GET') return void response.writeHead(200, { 'content-type': 'application/json' }).end('[]');
      posts += 1;
      if (posts === 1) {
        response.writeHead(429, { 'retry-after': '1' }).end('{}');
        // While retry waits out the 429, another worker takes the scope over (a CAS on the version).
        setTimeout(() => {
          void thief.get('rev-2:create').then(async (record) => {
            if (record === undefined) throw new Error('no record');
            const ok = await thief.update({ ...record, owner: 'other-worker', leaseUntil: Date.now() + 60_000, version: record.version + 1, updatedAt: Date.now() }, record.version, 86_400_000);
            if (!ok) throw new Error('takeover failed');
          });
        }, 300);
        return;
      }
      response.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"item_1"}');
    });
    const sureFetch = createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() }), retryUnsent] });
    const result = await postItem(sureFetch, server.url, 'rev-2:create').catch((error: unknown) => error);
    // The scope belongs to another worker: this one must not send again.
    expect(posts).toBe(1);
  }, 15_000);
});
