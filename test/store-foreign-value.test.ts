/**
 * A value at a scope's key that surefetch did not write: another program sharing the Redis
 * database or table and namespace, or a record edited by hand. Nothing can be learnt from it
 * about an earlier send, so nothing is sent; the call gets `IdempotencyError`
 * `RECORD_UNREADABLE` with its scope and client request id, which a job queue fails (a re-run
 * meets the same value), and the foreign text is not quoted. Met by the claim, by the polls of a
 * call waiting for the scope's owner, by a takeover's update, or after the create went out (then
 * the call is ambiguous, `AMBIGUOUS_OUTCOME`, and is not sent again). In memory, on Redis, on
 * PostgreSQL and on SQLite; the value is written beside the store, with the backend's own client
 * (raw SET, raw SQL, a second SQLite connection).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmbiguousOutcomeError, createFetch, IdempotencyError, idempotency, queueDecisionOf, retry, StoreUnavailableError, type RequestStore } from '../src/index.js';
import { fingerprintRequest } from '../src/idempotency/response-snapshot.js';
import { memoryStore } from '../src/store/memory-store.js';
import { postgresStore } from '../src/store/postgres-store.js';
import { keyvKey, UnreadableRecordError } from '../src/store/record-codec.js';
import { redisStore } from '../src/store/redis-store.js';
import { sqliteStore } from '../src/store/sqlite-store.js';
import { postgresForTests, redisForTests } from './support/services.js';
import { openHandle, sqliteDir, sqliteDrivers } from './support/sqlite-drivers.js';
import { makeRecord, uniqueNamespace } from './support/store-contract.js';

const redis = await redisForTests();
if (redis.skipReason) console.warn(`Foreign-value tests on Redis skipped: ${redis.skipReason}`);
const postgres = await postgresForTests();
if (postgres.skipReason) console.warn(`Foreign-value tests on PostgreSQL skipped: ${postgres.skipReason}`);
// One file, opened with the driver that loads (better-sqlite3 on Node 20, node:sqlite on 22).
const sqliteFile = join(sqliteDir(), 'foreign.db');

// What another program might have left at the key: text that is not JSON (with a credential in
// it, which no error may quote), JSON that is not keyv's, and keyv's JSON of something else.
const FOREIGN_SECRET = 'sk_live_FOREIGN0123456789';
const foreignValues = [
  ['text that is not JSON', `session ${FOREIGN_SECRET}`],
  ['JSON of another shape', JSON.stringify({ token: FOREIGN_SECRET })],
  ['a keyv entry of another program', JSON.stringify({ value: { cart: [1, 2], token: FOREIGN_SECRET }, expires: null })],
] as const;
const foreignText = foreignValues[0][1];

interface Opened {
  readonly store: RequestStore;
  /** Writes `raw` as the value of `scope`'s key (claiming the scope first when it is free, so the key is the store's own). */
  overwrite(scope: string, raw: string): Promise<void>;
  close(): Promise<void>;
}

interface Backend {
  readonly name: string;
  readonly available: boolean;
  open(): Promise<Opened>;
}

/** SQL on the store's own @keyv/postgres adapter: its pool is the one the store uses. */
type Sql = { query(sql: string, values?: unknown[]): Promise<Array<Record<string, unknown>>> };

/** The one Redis key of `scope` in the store's namespace, found by its suffix (SCAN, every page). */
async function redisKeyOf(admin: Redis, scope: string): Promise<string> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `*:${scope}`, 'COUNT', 10_000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  expect(found).toHaveLength(1);
  return found[0]!;
}

const backends: Backend[] = [
  {
    name: 'memory',
    available: true,
    async open() {
      const store = memoryStore();
      // The text goes as it is into the store's own map, at the key keyv uses: each case stores
      // what its title says (the third is what another program's keyv.set of an object leaves).
      const map = store.keyv.store as Map<string, unknown>;
      const overwrite = async (scope: string, raw: string): Promise<void> => {
        map.set(keyvKey(store.keyv, scope), raw);
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
        await admin.set(await redisKeyOf(admin, scope), raw, 'PX', 60_000);
      };
      return { store, overwrite, close: async () => void (await Promise.all([store.close(), admin.quit()])) };
    },
  },
  {
    name: 'PostgreSQL',
    available: postgres.url !== undefined,
    async open() {
      const store = postgresStore({ url: postgres.url!, namespace: uniqueNamespace() });
      const admin = store.keyv.store as Sql;
      const overwrite = async (scope: string, raw: string): Promise<void> => {
        await store.claim(makeRecord(scope), 60_000);
        const updated = await admin.query('UPDATE public.surefetch_requests SET value = $2 WHERE key LIKE $1 RETURNING key', [`%:${scope}`, raw]);
        expect(updated).toHaveLength(1);
      };
      return { store, overwrite, close: () => store.close() };
    },
  },
  {
    name: 'SQLite',
    available: sqliteDrivers.length > 0,
    async open() {
      const driver = sqliteDrivers[0]!;
      const store = sqliteStore({ path: sqliteFile, driver, namespace: uniqueNamespace() });
      const admin = openHandle(driver, sqliteFile);
      const overwrite = async (scope: string, raw: string): Promise<void> => {
        await store.claim(makeRecord(scope), 60_000);
        const updated = admin.prepare('UPDATE surefetch_requests SET value = ? WHERE key = ?').run(raw, keyvKey(store.keyv, scope));
        expect(Number(updated.changes)).toBe(1);
      };
      return {
        store,
        overwrite,
        close: async () => {
          await store.close();
          admin.close();
        },
      };
    },
  },
];

const body = '{"sku":"A"}';
let server: Server;
let url: string;
let posts = 0;
// A hostile server: what it does with a POST before it resets the connection (no answer at all).
let hostile: Server;
let hostileUrl: string;
let hostilePosts = 0;
let onHostilePost: () => Promise<void> = async () => undefined;
beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (request.method === 'POST') posts += 1;
      response.writeHead(201, { 'content-type': 'application/json' });
      response.end('{"id":"ord_1"}');
    });
  });
  hostile = createServer((request) => {
    request.resume();
    request.on('end', () => {
      if (request.method === 'POST') hostilePosts += 1;
      void onHostilePost().finally(() => request.socket.destroy());
    });
  });
  await Promise.all([server, hostile].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/orders/create`;
  hostileUrl = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}/v1/orders/create`;
});
afterAll(async () => {
  for (const s of [server, hostile]) s.closeAllConnections();
  await Promise.all([server, hostile].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

const newScope = (): string => `job-${Math.random().toString(36).slice(2)}`;
const outcome = (call: Promise<Response>): Promise<unknown> => call.then(() => undefined, (caught: unknown) => caught);
const printed = (error: unknown): string => JSON.stringify({ message: (error as Error).message, stack: (error as Error).stack, cause: String((error as Error).cause) });

/** Checks a `RECORD_UNREADABLE` refusal: its ids, the caveat on deleting the key, nothing quoted, a queue fails it. */
function expectUnreadable(error: unknown, scope: string, clientRequestId: string): void {
  expect(error).toBeInstanceOf(IdempotencyError);
  const refusal = error as IdempotencyError;
  expect(refusal.code).toBe('RECORD_UNREADABLE');
  expect(refusal.scope).toBe(scope);
  expect(refusal.clientRequestId).toBe(clientRequestId);
  expect(refusal.message).toContain('nothing was sent by this call');
  expect(refusal.message).toContain(`Delete the key only once you know whether that create landed (look for client request id ${clientRequestId}`);
  expect(printed(refusal)).not.toContain(FOREIGN_SECRET);
  expect(queueDecisionOf(refusal).action).toBe('fail');
}

describe.each(backends)('a foreign value at the scope key ($name)', (backend) => {
  it.skipIf(!backend.available).each(foreignValues)('with %s: RECORD_UNREADABLE with the call ids, nothing sent, the value not quoted', async (_label, raw) => {
    const { store, overwrite, close } = await backend.open();
    try {
      const scope = newScope();
      await overwrite(scope, raw);
      const sureFetch = createFetch({ middleware: [idempotency({ store }), retry({ baseDelayMs: 1 })] });
      const before = posts;
      const error = await outcome(sureFetch(url, { method: 'POST', body, surefetch: { idempotencyScope: scope, clientRequestId: 'req-foreign-1' } }));
      expect(posts - before).toBe(0);
      expectUnreadable(error, scope, 'req-foreign-1');
    } finally {
      await close();
    }
  });

  it.skipIf(!backend.available)('claim, get and update of each foreign value reject with UnreadableRecordError (no StoreUnavailableError), not quoting it', async () => {
    const { store, overwrite, close } = await backend.open();
    try {
      for (const [label, raw] of foreignValues) {
        const scope = newScope();
        await overwrite(scope, raw);
        const record = makeRecord(scope);
        const operations = [
          ['claim', () => store.claim(record, 60_000)],
          ['get', () => store.get(scope)],
          ['update', () => store.update({ ...record, version: 2 }, 1, 60_000)],
        ] as const;
        for (const [operation, run] of operations) {
          const error = await (run() as Promise<unknown>).then(() => undefined, (caught: unknown) => caught);
          expect(error, `${operation} of ${label}`).toBeInstanceOf(UnreadableRecordError);
          expect(printed(error)).not.toContain(FOREIGN_SECRET);
        }
      }
    } finally {
      await close();
    }
  });

  it.skipIf(!backend.available).each(foreignValues)('with %s appearing while the call waits for the owner: RECORD_UNREADABLE naming the holder, nothing sent', async (_label, raw) => {
    const { store, overwrite, close } = await backend.open();
    try {
      const scope = newScope();
      // A live holder of the same request: the call waits for it, polling the record.
      const fingerprint = await fingerprintRequest({ method: 'POST', url, headers: new Headers(), body: new TextEncoder().encode(body) } as never);
      expect((await store.claim(makeRecord(scope, { fingerprint, clientRequestId: 'req-holder' }), 60_000)).claimed).toBe(true);
      const sureFetch = createFetch({ middleware: [idempotency({ store, pollMs: 20, waitForOwnerMs: 10_000 }), retry({ baseDelayMs: 1 })] });
      const before = posts;
      let settled = false;
      const pending = outcome(sureFetch(url, { method: 'POST', body, surefetch: { idempotencyScope: scope, clientRequestId: 'req-waiter' } })).finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(settled).toBe(false);
      await overwrite(scope, raw);
      const error = await pending;
      expect(posts - before).toBe(0);
      expectUnreadable(error, scope, 'req-holder');
    } finally {
      await close();
    }
  });

  it.skipIf(!backend.available)('written while the create is out, before a reset: AMBIGUOUS_OUTCOME, one POST, and the re-run is refused without a send', async () => {
    const { store, overwrite, close } = await backend.open();
    const scope = newScope();
    onHostilePost = () => overwrite(scope, foreignText);
    try {
      const sureFetch = createFetch({ middleware: [idempotency({ store, keyHeader: 'Idempotency-Key' }), retry({ baseDelayMs: 1, maxAttempts: 3 })] });
      const send = (): Promise<unknown> => outcome(sureFetch(hostileUrl, { method: 'POST', body, surefetch: { idempotencyScope: scope, clientRequestId: 'req-after-1' } }));
      const before = hostilePosts;
      const error = await send();
      expect(hostilePosts - before).toBe(1);
      expect(error).toBeInstanceOf(AmbiguousOutcomeError);
      expect((error as AmbiguousOutcomeError).clientRequestId).toBe('req-after-1');
      expect((error as AmbiguousOutcomeError).message).toContain('request record became unreadable after the send');
      expect(printed(error)).not.toContain(FOREIGN_SECRET);
      expect(queueDecisionOf(error).action).toBe('fail');
      const rerun = await send();
      expect(hostilePosts - before).toBe(1);
      expectUnreadable(rerun, scope, 'req-after-1');
    } finally {
      onHostilePost = async () => undefined;
      await close();
    }
  });
});

describe.skipIf(redis.url === undefined)('a Redis value of another type at the scope key', () => {
  it('(a hash: WRONGTYPE) is RECORD_UNREADABLE, nothing sent, and the store reads it as no record, not as an outage', async () => {
    const store = redisStore({ url: redis.url!, namespace: uniqueNamespace() });
    const admin = new Redis(redis.url!);
    try {
      const scope = newScope();
      const record = makeRecord(scope);
      await store.claim(record, 60_000);
      const key = await redisKeyOf(admin, scope);
      await admin.del(key);
      await admin.hset(key, 'token', FOREIGN_SECRET);
      for (const run of [() => store.claim(record, 60_000), () => store.get(scope), () => store.update({ ...record, version: 2 }, 1, 60_000)]) {
        const error = await (run() as Promise<unknown>).then(() => undefined, (caught: unknown) => caught);
        expect(error).toBeInstanceOf(UnreadableRecordError);
        expect(error).not.toBeInstanceOf(StoreUnavailableError);
      }
      const sureFetch = createFetch({ middleware: [idempotency({ store }), retry({ baseDelayMs: 1 })] });
      const before = posts;
      const error = await outcome(sureFetch(url, { method: 'POST', body, surefetch: { idempotencyScope: scope, clientRequestId: 'req-hash' } }));
      expect(posts - before).toBe(0);
      expectUnreadable(error, scope, 'req-hash');
      expect(await admin.hget(key, 'token')).toBe(FOREIGN_SECRET);
    } finally {
      await Promise.all([store.close(), admin.quit()]);
    }
  });
});

describe.skipIf(postgres.url === undefined)('a PostgreSQL row whose expiry the claim cannot cast', () => {
  const cases = [
    ['foreign keyv JSON with an expiry out of bigint range', (_record: string) => `{"value":{"token":"${FOREIGN_SECRET}"},"expires":99999999999999999999}`],
    ['a surefetch record edited to a fractional expiry in the past', (record: string) => `{"value":${record},"expires":1.5}`],
  ] as const;
  it.each(cases)('(%s) is RECORD_UNREADABLE, nothing sent, and the row is left as it was', async (_label, value) => {
    const store = postgresStore({ url: postgres.url!, namespace: uniqueNamespace() });
    const admin = store.keyv.store as Sql;
    try {
      const scope = newScope();
      const record = makeRecord(scope);
      await store.claim(record, 60_000);
      const raw = value(JSON.stringify(record));
      await admin.query('UPDATE public.surefetch_requests SET value = $2 WHERE key LIKE $1', [`%:${scope}`, raw]);
      const sureFetch = createFetch({ middleware: [idempotency({ store }), retry({ baseDelayMs: 1 })] });
      const before = posts;
      const error = await outcome(sureFetch(url, { method: 'POST', body, surefetch: { idempotencyScope: scope, clientRequestId: 'req-cast' } }));
      expect(posts - before).toBe(0);
      expectUnreadable(error, scope, 'req-cast');
      const rows = await admin.query('SELECT value FROM public.surefetch_requests WHERE key LIKE $1', [`%:${scope}`]);
      expect(rows.map((row) => row.value)).toEqual([raw]);
    } finally {
      await store.close();
    }
  });
});
