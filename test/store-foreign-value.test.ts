/**
 * A value at a scope's key that surefetch did not write: another program sharing the Redis
 * database or table and namespace, or a record edited by hand. Nothing can be learnt from it
 * about an earlier send, so nothing is sent; the call gets `IdempotencyError`
 * `RECORD_UNREADABLE` with its scope and client request id, which a job queue fails (a re-run
 * meets the same value), and the foreign text is not quoted. In memory, on Redis and on
 * PostgreSQL; the value is written beside the store, with the backend's own client (raw SET, raw SQL).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetch, IdempotencyError, idempotency, queueDecisionOf, retry, type RequestStore } from '../src/index.js';
import { memoryStore } from '../src/store/memory-store.js';
import { postgresStore } from '../src/store/postgres-store.js';
import { redisStore } from '../src/store/redis-store.js';
import { postgresForTests, redisForTests } from './support/services.js';
import { makeRecord, uniqueNamespace } from './support/store-contract.js';

const redis = await redisForTests();
if (redis.skipReason) console.warn(`Foreign-value tests on Redis skipped: ${redis.skipReason}`);
const postgres = await postgresForTests();
if (postgres.skipReason) console.warn(`Foreign-value tests on PostgreSQL skipped: ${postgres.skipReason}`);

// What another program might have left at the key: text that is not JSON (with a credential in
// it, which no error may quote), JSON that is not keyv's, and keyv's JSON of something else.
const FOREIGN_SECRET = 'sk_live_FOREIGN0123456789';
const foreignValues = [
  ['text that is not JSON', `session ${FOREIGN_SECRET}`],
  ['JSON of another shape', JSON.stringify({ token: FOREIGN_SECRET })],
  ['a keyv entry of another program', JSON.stringify({ value: { cart: [1, 2], token: FOREIGN_SECRET }, expires: null })],
] as const;

interface Backend {
  readonly name: string;
  readonly available: boolean;
  /** A store, and what writes `raw` in place of the record of `scope` (claimed first, so the key is the store's own). */
  open(): Promise<{ store: RequestStore; overwrite(scope: string, raw: string): Promise<void>; close(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'memory',
    available: true,
    async open() {
      const store = memoryStore();
      // The memory store's keyv holds values as they were set: keyv's own JSON is parsed back first.
      const overwrite = async (scope: string, raw: string): Promise<void> => {
        let value: unknown = raw;
        try {
          value = (JSON.parse(raw) as { value?: unknown }).value ?? JSON.parse(raw);
        } catch {
          // Not JSON: stored as the string it is.
        }
        await store.keyv.set(scope, value);
      };
      return { store, overwrite, close: async () => undefined };
    },
  },
  {
    name: 'Redis',
    available: redis.url !== undefined,
    async open() {
      const store = redisStore({ url: redis.url!, namespace: uniqueNamespace() });
      const admin = new Redis(redis.url!);
      const overwrite = async (scope: string, raw: string): Promise<void> => {
        await store.claim(makeRecord(scope), 60_000);
        const [, keys] = await admin.scan('0', 'MATCH', `*:${scope}`, 'COUNT', 10_000);
        expect(keys).toHaveLength(1);
        await admin.set(keys[0]!, raw, 'PX', 60_000);
      };
      return { store, overwrite, close: async () => void (await Promise.all([store.close(), admin.quit()])) };
    },
  },
  {
    name: 'PostgreSQL',
    available: postgres.url !== undefined,
    async open() {
      const store = postgresStore({ url: postgres.url!, namespace: uniqueNamespace() });
      // The store's own @keyv/postgres adapter runs the raw SQL: its pool is the one the store uses.
      const admin = store.keyv.store as { query(sql: string, values?: unknown[]): Promise<unknown[]> };
      const overwrite = async (scope: string, raw: string): Promise<void> => {
        await store.claim(makeRecord(scope), 60_000);
        const updated = await admin.query('UPDATE public.surefetch_requests SET value = $2 WHERE key LIKE $1 RETURNING key', [`%:${scope}`, raw]);
        expect(updated).toHaveLength(1);
      };
      return { store, overwrite, close: () => store.close() };
    },
  },
];

let server: Server;
let url: string;
let posts = 0;
beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (request.method === 'POST') posts += 1;
      response.writeHead(201, { 'content-type': 'application/json' });
      response.end('{"id":"ord_1"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/orders/create`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe.each(backends)('a foreign value at the scope key ($name)', (backend) => {
  it.skipIf(!backend.available).each(foreignValues)('with %s: RECORD_UNREADABLE with the call ids, nothing sent, the value not quoted', async (_label, raw) => {
    const { store, overwrite, close } = await backend.open();
    try {
      const scope = `job-${Math.random().toString(36).slice(2)}`;
      await overwrite(scope, raw);
      const sureFetch = createFetch({ middleware: [idempotency({ store }), retry({ baseDelayMs: 1 })] });
      const before = posts;
      const error = await sureFetch(url, { method: 'POST', body: '{"sku":"A"}', surefetch: { idempotencyScope: scope, clientRequestId: 'req-foreign-1' } }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(posts - before).toBe(0);
      expect(error).toBeInstanceOf(IdempotencyError);
      const refusal = error as IdempotencyError;
      expect(refusal.code).toBe('RECORD_UNREADABLE');
      expect(refusal.scope).toBe(scope);
      expect(refusal.clientRequestId).toBe('req-foreign-1');
      expect(refusal.message).toContain('nothing was sent');
      expect(JSON.stringify({ message: refusal.message, stack: refusal.stack, cause: String(refusal.cause) })).not.toContain(FOREIGN_SECRET);
      expect(queueDecisionOf(refusal).action).toBe('fail');
    } finally {
      await close();
    }
  });
});
