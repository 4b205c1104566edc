import { randomUUID } from 'node:crypto';
import KeyvPostgres from '@keyv/postgres';
import { Keyv } from 'keyv';
import { afterAll, describe, expect, it } from 'vitest';
import { createManualClock, systemClock } from '../src/core/clock.js';
import { keyvReadMarginMs } from '../src/store/keyv-read-guard.js';
import { postgresStore } from '../src/store/postgres-store.js';
import { StoreUnavailableError } from '../src/store/store-unavailable-error.js';
import { postgresForTests } from './support/services.js';
import { describeStoreContract, makeRecord, storeOperations, uniqueNamespace } from './support/store-contract.js';
import { closedPortUrl } from './emulator/closed-port.js';

const day = 86_400_000;
const postgres = await postgresForTests();
if (postgres.skipReason) console.warn(`PostgreSQL store tests skipped: ${postgres.skipReason}`);
const url = postgres.url ?? '';
const table = `sf_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
/** The same database with a password in the URL (trust auth ignores it), to prove it never leaks. */
const urlWithPassword = url === '' ? '' : (() => {
  const u = new URL(url);
  u.password = 's3cret-pw';
  return u.toString();
})();

type Query = (sql: string, values?: unknown[]) => Promise<Array<Record<string, unknown>>>;
const rawQuery = (store: { keyv: Keyv }): Query => (store.keyv.store as { query: Query }).query;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A port nothing listens on. */
const closedPort = async (): Promise<number> => Number(new URL(await closedPortUrl()).port);

describe.skipIf(!postgres.url)('postgresStore', () => {
  afterAll(async () => {
    const store = postgresStore({ url, table });
    await rawQuery(store)(`DROP TABLE IF EXISTS ${table}`);
    await rawQuery(store)(`DROP TABLE IF EXISTS ${table}_lazy`);
    await store.close();
  });

  describeStoreContract('postgres', { open: (namespace) => postgresStore({ url, table, namespace }), separateInstancesShare: true });

  it('stores keyv rows (namespace:scope → JSON) that carry no credential from the URL', async () => {
    const namespace = uniqueNamespace();
    const store = postgresStore({ url: urlWithPassword, table, namespace });
    try {
      const record = makeRecord('job-1:create');
      await store.claim(record, day);
      const rows = await rawQuery(store)(`SELECT key, value FROM ${table} WHERE key LIKE $1`, [`${namespace}:%`]);
      expect(rows.map((r) => r.key)).toEqual([`${namespace}:job-1:create`]);
      expect(String(rows[0]?.value)).not.toContain('s3cret-pw');
      expect(JSON.parse(String(rows[0]?.value))).toMatchObject({ value: { owner: record.owner } });
    } finally {
      await store.close();
    }
  });

  it('counts a row past its expiry as absent in claim, though nothing has deleted it yet', async () => {
    const clock = createManualClock(Date.now());
    const namespace = uniqueNamespace();
    const store = postgresStore({ url, table, namespace, clock });
    try {
      await store.claim(makeRecord('job-2:create', { owner: 'dead' }), 60_000);
      clock.advance(59_999);
      expect(await store.claim(makeRecord('job-2:create', { owner: 'early' }), 60_000)).toMatchObject({ claimed: false, existing: { owner: 'dead' } });
      clock.advance(1);
      const rows = await rawQuery(store)(`SELECT key FROM ${table} WHERE key = $1`, [`${namespace}:job-2:create`]);
      expect(rows).toHaveLength(1); // lazy expiry: the expired row is still there
      expect(await store.update(makeRecord('job-2:create', { version: 2 }), 1, 60_000)).toBe(false);
      expect(await store.claim(makeRecord('job-2:create', { owner: 'next' }), 60_000)).toEqual({ claimed: true });
      expect((await store.get('job-2:create'))?.owner).toBe('next');
    } finally {
      await store.close();
    }
  });

  it('creates its table when the database lost it after start-up', async () => {
    const store = postgresStore({ url, table: `${table}_lazy`, namespace: uniqueNamespace() });
    try {
      expect(await store.get('warm-up')).toBeUndefined();
      await rawQuery(store)(`DROP TABLE ${table}_lazy`);
      expect(await store.claim(makeRecord('job-3:create'), day)).toEqual({ claimed: true });
      expect(await store.get('job-3:create')).toBeDefined();
    } finally {
      await store.close();
    }
  });

  it('gives each store its own pool: closing one leaves another on the same URL working', async () => {
    const namespace = uniqueNamespace();
    const first = postgresStore({ url, table, namespace });
    const second = postgresStore({ url, table, namespace });
    try {
      await first.claim(makeRecord('job-4:create'), day);
      const pidsOfFirst = new Set(
        (await Promise.all(Array.from({ length: 4 }, () => rawQuery(first)('SELECT pg_backend_pid() AS pid, pg_sleep(0.05)')))).map((rows) => rows[0]?.pid),
      );
      const pidOfSecond = (await rawQuery(second)('SELECT pg_backend_pid() AS pid'))[0]?.pid;
      expect(pidsOfFirst.has(pidOfSecond)).toBe(false);
      await first.close();
      // A server backend outlives its closed socket by a moment.
      let alive: unknown[] = [];
      for (let i = 0; i < 40; i += 1) {
        alive = await rawQuery(second)('SELECT pid FROM pg_stat_activity WHERE pid = ANY($1)', [[...pidsOfFirst]]);
        if (alive.length === 0) break;
        await systemClock.sleep(50);
      }
      expect(alive).toEqual([]);
      expect(await second.get('job-4:create')).toBeDefined();
      expect(await second.claim(makeRecord('job-4:other'), day)).toEqual({ claimed: true });
    } finally {
      await second.close();
    }
  });

  describe('store.keyv reads never delete (keyv deletes every expired value an adapter hands it, unconditionally)', () => {
    const rowsAt = (store: { keyv: Keyv }, namespace: string, scopes: string[]): Promise<unknown[]> =>
      rawQuery(store)(`SELECT key FROM ${table} WHERE key = ANY($1)`, [scopes.map((scope) => `${namespace}:${scope}`)]);

    it('keyv.get, getMany, getRaw and the iterator return nothing for a row past its expiry and leave the row; keyv.delete still deletes it', async () => {
      const namespace = uniqueNamespace();
      const store = postgresStore({ url, table, namespace });
      try {
        for (const scope of ['job-6:a', 'job-6:b', 'job-6:c', 'job-6:d']) await store.claim(makeRecord(scope), 50);
        await sleep(100);
        expect(await store.keyv.get('job-6:a')).toBeUndefined();
        expect(await rowsAt(store, namespace, ['job-6:a'])).toHaveLength(1);
        expect(await store.keyv.getMany(['job-6:b'])).toEqual([undefined]);
        expect(await rowsAt(store, namespace, ['job-6:b'])).toHaveLength(1);
        expect(await store.keyv.getRaw('job-6:c')).toBeUndefined();
        expect(await rowsAt(store, namespace, ['job-6:c'])).toHaveLength(1);
        const listed: string[] = [];
        expect(store.keyv.iterator).toBeTypeOf('function'); // keyv made one for this adapter: the loop below runs it
        for await (const [key] of store.keyv.iterator?.(namespace) ?? []) listed.push(String(key));
        expect(listed).toEqual([]);
        expect(await rowsAt(store, namespace, ['job-6:a', 'job-6:b', 'job-6:c', 'job-6:d'])).toHaveLength(4);
        expect(await store.keyv.delete('job-6:a')).toBe(true);
        expect(await rowsAt(store, namespace, ['job-6:a'])).toHaveLength(0);
      } finally {
        await store.close();
      }
    });

    it('keyv.has and hasMany answer as keyv.get does: false for a row past its expiry (still there), true for a live one', async () => {
      const namespace = uniqueNamespace();
      const store = postgresStore({ url, table, namespace });
      try {
        await store.claim(makeRecord('job-6:gone'), 50);
        await store.claim(makeRecord('job-6:live'), day);
        await sleep(100);
        expect(await store.keyv.has('job-6:gone')).toBe(false);
        expect(await store.keyv.has('job-6:live')).toBe(true);
        expect(await store.keyv.hasMany(['job-6:gone', 'job-6:live', 'job-6:never'])).toEqual([false, true, false]);
        expect(await rowsAt(store, namespace, ['job-6:gone'])).toHaveLength(1);
      } finally {
        await store.close();
      }
    });

    it('a keyv.get that read an expired row before a takeover claim committed leaves the new claim standing: a third claim loses', async () => {
      const namespace = uniqueNamespace();
      const reader = postgresStore({ url, table, namespace }); // e.g. a dashboard reading records through store.keyv
      const b = postgresStore({ url, table, namespace });
      const c = postgresStore({ url, table, namespace });
      const adapter = reader.keyv.store as { query: Query };
      const query = adapter.query;
      // keyv's own read (`SELECT * …`, not the store's `SELECT value …`) is held after it got the
      // expired row, until B's takeover has committed.
      let readHeld!: () => void;
      const held = new Promise<void>((resolve) => (readHeld = resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let holds = 1;
      adapter.query = async (sql, values) => {
        const rows = await query(sql, values);
        if (holds > 0 && sql.startsWith('SELECT * FROM') && values?.[0] === `${namespace}:job-7:create`) {
          holds -= 1;
          readHeld();
          await released;
        }
        return rows;
      };
      try {
        await reader.claim(makeRecord('job-7:create', { owner: 'dead' }), 50);
        await sleep(100);
        const read = reader.keyv.get('job-7:create');
        await held;
        expect(await b.claim(makeRecord('job-7:create', { owner: 'B' }), day)).toEqual({ claimed: true });
        release();
        expect(await read).toBeUndefined();
        expect((await b.get('job-7:create'))?.owner).toBe('B');
        expect(await c.claim(makeRecord('job-7:create', { owner: 'C' }), day)).toMatchObject({ claimed: false, existing: { owner: 'B' } });
      } finally {
        release();
        adapter.query = query;
        await Promise.all([reader.close(), b.close(), c.close()]);
      }
    });

    it("keyv.get hides a row past its expiry on the store's clock, and one with less than keyvReadMarginMs left on Date.now(), deleting neither; the store's own get keeps to its clock", async () => {
      const namespace = uniqueNamespace();
      const clock = createManualClock(Date.now());
      const fast = postgresStore({ url, table, namespace, clock });
      const store = postgresStore({ url, table, namespace });
      try {
        // Live for Date.now(), past on the fast store's clock.
        await fast.claim(makeRecord('job-8:create', { owner: 'fast' }), 60_000);
        expect((await fast.keyv.get('job-8:create'))?.owner).toBe('fast');
        clock.advance(60_000);
        expect(await fast.get('job-8:create')).toBeUndefined();
        expect(await fast.keyv.get('job-8:create')).toBeUndefined();
        expect(await rowsAt(store, namespace, ['job-8:create'])).toHaveLength(1);
        // Live on every clock, but for less than the margin.
        await store.claim(makeRecord('job-9:create', { owner: 'short' }), keyvReadMarginMs / 2);
        expect((await store.get('job-9:create'))?.owner).toBe('short');
        expect(await store.keyv.get('job-9:create')).toBeUndefined();
        expect(await rowsAt(store, namespace, ['job-9:create'])).toHaveLength(1);
      } finally {
        await Promise.all([fast.close(), store.close()]);
      }
    });
  });

  it("works on a caller's keyv and leaves it open on close", async () => {
    const namespace = uniqueNamespace();
    const keyv = new Keyv({ store: new KeyvPostgres({ uri: url, table }), namespace, throwOnErrors: true });
    const store = postgresStore({ keyv });
    const record = makeRecord('job-5:create');
    expect(await store.claim(record, day)).toEqual({ claimed: true });
    expect(await store.update({ ...record, version: 2, state: 'succeeded' }, 1, day)).toBe(true);
    await store.close();
    expect(await keyv.get('job-5:create')).toMatchObject({ state: 'succeeded', version: 2 });
    await keyv.disconnect();
  });

  it("refuses a caller's keyv that would swallow errors, and unsafe table names", () => {
    expect(() => postgresStore({ keyv: new Keyv({ store: new KeyvPostgres({ uri: url, table }) }) })).toThrow(/throwOnErrors/);
    expect(() => postgresStore({ keyv: new Keyv({ throwOnErrors: true }) })).toThrow(/@keyv\/postgres/);
    expect(() => postgresStore({ url, table: 'requests; DROP TABLE x' })).toThrow(TypeError);
  });

  it('refuses a scope too long for the key column before querying', async () => {
    const store = postgresStore({ url, table, namespace: uniqueNamespace() });
    try {
      await expect(store.claim(makeRecord('x'.repeat(300)), day)).rejects.toThrow(RangeError);
    } finally {
      await store.close();
    }
  });

  it('rejects quickly with STORE_UNAVAILABLE, and without the password, when nothing listens', async () => {
    const port = await closedPort();
    const store = postgresStore({ url: `postgresql://postgres:s3cret-pw@127.0.0.1:${port}/test`, table });
    try {
      for (const [operation, run] of storeOperations(store)) {
        const started = Date.now();
        const error: unknown = await run().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(Date.now() - started).toBeLessThan(3000);
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', backend: 'postgres', operation, target: `postgresql://postgres:***@127.0.0.1:${port}/test` });
        const e = error as StoreUnavailableError;
        expect(`${e.message} ${String(e.stack)} ${String(e.cause)}`).not.toContain('s3cret-pw');
      }
    } finally {
      await store.close();
    }
  });
});
