import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../src/core/clock.js';
import { UnreadableRecordError } from '../src/store/record-codec.js';
import type { SqliteDatabase } from '../src/store/sqlite-driver.js';
import { sqliteStore } from '../src/store/sqlite-store.js';
import { StoreUnavailableError } from '../src/store/store-unavailable-error.js';
import { describeStoreContract, makeRecord, storeOperations, uniqueNamespace } from './support/store-contract.js';
import { driverFailures, openHandle, sqliteDir, sqliteDrivers } from './support/sqlite-drivers.js';
import { keyvReadMarginMs } from '../src/store/keyv-read-guard.js';

const day = 86_400_000;
const dir = sqliteDir();
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const failure = (p: Promise<unknown>): Promise<unknown> => p.then(() => undefined, (e: unknown) => e);
/** A handle that does not tell whether it is inside a transaction (node:sqlite before 22.16). */
const silentHandle = (db: SqliteDatabase): SqliteDatabase => ({ exec: (sql) => db.exec(sql), prepare: (sql) => db.prepare(sql), close: () => db.close() });

describe('SQLite drivers on this Node.js', () => {
  it('finds node:sqlite on Node 22.13 and later, better-sqlite3 before (so no SQLite test goes unrun)', () => {
    const builtIn = major > 22 || (major === 22 && minor >= 13);
    expect(sqliteDrivers, JSON.stringify(driverFailures)).toContain(builtIn ? 'node:sqlite' : 'better-sqlite3');
  });
});

describe.each(sqliteDrivers)('sqliteStore on %s', (driver) => {
  const file = join(dir, `${driver.replace(':', '-')}.db`);
  const open = (namespace: string, more: { clock?: ReturnType<typeof createManualClock> } = {}) => sqliteStore({ path: file, namespace, driver, ...more });

  describeStoreContract(`sqlite (${driver})`, { open: (namespace) => open(namespace), separateInstancesShare: true });

  it('keeps keyv rows (namespace:scope → JSON) in a WAL-mode file that another connection reads', async () => {
    const namespace = uniqueNamespace();
    const store = open(namespace);
    const record = makeRecord('job-1:create');
    await store.claim(record, day);
    await store.close();
    const db = openHandle(driver, file);
    try {
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual(expect.objectContaining({ journal_mode: 'wal' }));
      const rows = db.prepare('SELECT key, value FROM surefetch_requests WHERE key LIKE ?').all(`${namespace}:%`) as Array<{ key: string; value: string }>;
      expect(rows.map((row) => row.key)).toEqual([`${namespace}:job-1:create`]);
      expect(JSON.parse(rows[0]?.value ?? '')).toMatchObject({ value: { owner: record.owner } });
    } finally {
      db.close();
    }
  });

  it('counts a row past its expiry on the injected clock as absent in claim and update, though it is still in the table', async () => {
    const clock = createManualClock(Date.now());
    const namespace = uniqueNamespace();
    const store = open(namespace, { clock });
    const db = openHandle(driver, file);
    try {
      await store.claim(makeRecord('job-2:create', { owner: 'dead' }), 60_000);
      clock.advance(59_999);
      expect(await store.claim(makeRecord('job-2:create', { owner: 'early' }), 60_000)).toMatchObject({ claimed: false, existing: { owner: 'dead' } });
      clock.advance(1);
      expect(db.prepare('SELECT key FROM surefetch_requests WHERE key = ?').all(`${namespace}:job-2:create`)).toHaveLength(1);
      expect(await store.update(makeRecord('job-2:create', { version: 2 }), 1, 60_000)).toBe(false);
      expect(await store.claim(makeRecord('job-2:create', { owner: 'next' }), 60_000)).toEqual({ claimed: true });
      expect((await store.get('job-2:create'))?.owner).toBe('next');
    } finally {
      db.close();
      await store.close();
    }
  });

  it("works on a caller's handle, sets its busy_timeout, and leaves it open on close", async () => {
    const namespace = uniqueNamespace();
    const db = openHandle(driver, file);
    const store = sqliteStore({ database: db, namespace, busyTimeoutMs: 15 });
    try {
      const record = makeRecord('job-3:create');
      expect(await store.claim(record, day)).toEqual({ claimed: true });
      expect(await store.update({ ...record, version: 2, state: 'succeeded' }, 1, day)).toBe(true);
      await store.close();
      expect(db.prepare('PRAGMA busy_timeout').get()).toEqual(expect.objectContaining({ timeout: 15 }));
      const row = db.prepare('SELECT value FROM surefetch_requests WHERE key = ?').get(`${namespace}:job-3:create`) as { value: string };
      expect(JSON.parse(row.value)).toMatchObject({ value: { state: 'succeeded', version: 2 } });
      await expect(store.get('job-3:create')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', backend: 'sqlite' });
    } finally {
      db.close();
    }
  });

  it('refuses a foreign value in its namespace without overwriting it, and without quoting it in the error', async () => {
    const namespace = uniqueNamespace();
    const store = open(namespace);
    const db = openHandle(driver, file);
    try {
      await store.get('warm-up');
      const insert = db.prepare('INSERT INTO surefetch_requests (key, value) VALUES (?, ?)');
      insert.run(`${namespace}:not-json`, 'password=hunter2 {');
      insert.run(`${namespace}:not-a-record`, JSON.stringify({ value: { password: 'hunter2' }, expires: 1 }));
      for (const scope of ['not-json', 'not-a-record']) {
        for (const run of [() => store.claim(makeRecord(scope), day), () => store.get(scope), () => store.update(makeRecord(scope, { version: 2 }), 1, day)]) {
          const error: unknown = await run().then(() => undefined, (e: unknown) => e);
          expect(error).toBeInstanceOf(TypeError);
          expect(`${String((error as Error).message)} ${String((error as Error).stack)}`).not.toContain('hunter2');
        }
      }
      const kept = db.prepare('SELECT value FROM surefetch_requests WHERE key = ?').get(`${namespace}:not-json`) as { value: string };
      expect(kept.value).toBe('password=hunter2 {');
    } finally {
      db.close();
      await store.close();
    }
  });

  it('keyv on the store sets, reads and deletes rows, and clear() empties only its own namespace', async () => {
    const mine = open(uniqueNamespace());
    const other = open(uniqueNamespace());
    try {
      const record = makeRecord('job-4:create');
      await other.claim(record, day);
      await mine.keyv.set('job-4:create', record, day);
      expect(await mine.get('job-4:create')).toEqual(record);
      expect(await mine.keyv.delete('job-4:create')).toBe(true);
      expect(await mine.keyv.delete('job-4:create')).toBe(false);
      await mine.claim(makeRecord('job-5:create'), day);
      await mine.keyv.clear();
      expect(await mine.get('job-5:create')).toBeUndefined();
      expect(await other.get('job-4:create')).toEqual(record);
    } finally {
      await mine.close();
      await other.close();
    }
  });

  it('hides a row past its expiry from store.keyv.get without deleting it, so a takeover claim committed meanwhile stands (one winner)', async () => {
    const namespace = uniqueNamespace();
    const reader = open(namespace); // e.g. a dashboard reading the records through store.keyv
    const b = open(namespace);
    const c = open(namespace);
    const db = openHandle(driver, file);
    try {
      await reader.claim(makeRecord('job-6:create', { owner: 'dead' }), 50);
      await sleep(100);
      expect(await reader.keyv.get('job-6:create')).toBeUndefined();
      // keyv, handed the expired value, would have deleted the key: the row is still there.
      expect(db.prepare('SELECT key FROM surefetch_requests WHERE key = ?').all(`${namespace}:job-6:create`)).toHaveLength(1);
      const [read, takeover] = await Promise.all([reader.keyv.get('job-6:create'), b.claim(makeRecord('job-6:create', { owner: 'B' }), day)]);
      expect(takeover).toEqual({ claimed: true });
      expect(read === undefined || (read as { owner?: string }).owner === 'B').toBe(true);
      expect(await c.claim(makeRecord('job-6:create', { owner: 'C' }), day)).toMatchObject({ claimed: false, existing: { owner: 'B' } });
    } finally {
      db.close();
      await Promise.all([reader.close(), b.close(), c.close()]);
    }
  });

  it("store.keyv.get hides a row expired on the store's clock or on Date.now() (keyv's), deleting neither; the store's own get keeps to its clock", async () => {
    const namespace = uniqueNamespace();
    const behind = createManualClock(Date.now() - day); // the store's clock a day behind the machine's
    const ahead = createManualClock(Date.now());
    const slow = open(namespace, { clock: behind });
    const fast = open(namespace, { clock: ahead });
    const db = openHandle(driver, file);
    const rows = (scope: string): unknown[] => db.prepare('SELECT key FROM surefetch_requests WHERE key = ?').all(`${namespace}:${scope}`);
    try {
      // Expires an hour from the slow clock's now: live for the store, 23 h past for Date.now().
      await slow.claim(makeRecord('job-7:create', { owner: 'slow' }), 3_600_000);
      expect((await slow.get('job-7:create'))?.owner).toBe('slow');
      expect(await slow.keyv.get('job-7:create')).toBeUndefined();
      expect(rows('job-7:create')).toHaveLength(1);
      // Live for Date.now(), past for the fast store's clock.
      await fast.claim(makeRecord('job-8:create', { owner: 'fast' }), 60_000);
      expect((await fast.keyv.get('job-8:create'))?.owner).toBe('fast');
      ahead.advance(60_000);
      expect(await fast.get('job-8:create')).toBeUndefined();
      expect(await fast.keyv.get('job-8:create')).toBeUndefined();
      expect(rows('job-8:create')).toHaveLength(1);
    } finally {
      db.close();
      await Promise.all([slow.close(), fast.close()]);
    }
  });

  it('store.keyv.get hides a row with less than keyvReadMarginMs left on Date.now(), which the store still reads, deleting nothing', async () => {
    const namespace = uniqueNamespace();
    const store = open(namespace);
    const db = openHandle(driver, file);
    try {
      await store.claim(makeRecord('job-9:create', { owner: 'short' }), keyvReadMarginMs / 2);
      expect((await store.get('job-9:create'))?.owner).toBe('short');
      expect(await store.keyv.get('job-9:create')).toBeUndefined();
      expect(db.prepare('SELECT key FROM surefetch_requests WHERE key = ?').all(`${namespace}:job-9:create`)).toHaveLength(1);
    } finally {
      db.close();
      await store.close();
    }
  });

  it("raises a caller's handle to synchronous = FULL (better-sqlite3 compiles in NORMAL), keeping EXTRA and its journal mode", async () => {
    const path = join(dir, `caller-${driver.replace(':', '-')}.db`);
    const owned = sqliteStore({ path, namespace: uniqueNamespace(), driver });
    await owned.claim(makeRecord('x'), day); // puts the file in WAL mode
    await owned.close();
    const db = openHandle(driver, path);
    const extra = openHandle(driver, path);
    extra.exec('PRAGMA synchronous = EXTRA');
    const stores = [sqliteStore({ database: db, namespace: uniqueNamespace() }), sqliteStore({ database: extra, namespace: uniqueNamespace() })];
    try {
      for (const store of stores) await store.claim(makeRecord('y'), day);
      expect(db.prepare('PRAGMA synchronous').get()).toEqual(expect.objectContaining({ synchronous: 2 }));
      expect(extra.prepare('PRAGMA synchronous').get()).toEqual(expect.objectContaining({ synchronous: 3 }));
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual(expect.objectContaining({ journal_mode: 'wal' }));
    } finally {
      for (const store of stores) await store.close();
      db.close();
      extra.close();
    }
  });

  for (const [label, wrap] of [
    ['a handle', (db: SqliteDatabase) => db],
    ['a handle that does not tell (node:sqlite before 22.16)', silentHandle],
  ] as const) {
    it(`refuses every write on ${label} inside the caller's own transaction, saying why, so a ROLLBACK loses none; then works`, async () => {
      const path = join(dir, `tx-${driver.replace(':', '-')}.db`);
      const db = openHandle(driver, path);
      const namespace = uniqueNamespace();
      const store = sqliteStore({ database: wrap(db), namespace, operationTimeoutMs: 1000 });
      try {
        const record = makeRecord('job-9:create');
        await store.claim(record, day);
        db.exec('BEGIN');
        const writes: Array<[string, () => Promise<unknown>]> = [
          ['claim', () => store.claim(makeRecord('job-10:create'), day)],
          ['update', () => store.update({ ...record, version: 2 }, 1, day)],
          ['delete', () => store.delete('job-9:create')],
          ['markAlive', () => store.markAlive!('owner-1', 60_000)],
          ['keyv.set', () => store.keyv.set('job-11:create', makeRecord('job-11:create'), day)],
          ['keyv.delete', () => store.keyv.delete('job-9:create')],
          ['keyv.clear', () => store.keyv.clear()],
        ];
        for (const [name, run] of writes) {
          const started = performance.now();
          const error = await failure(run());
          expect(error, name).toBeInstanceOf(StoreUnavailableError);
          expect((error as Error).message, name).toContain('inside a transaction of its own');
          expect(performance.now() - started, name).toBeLessThan(500); // refused, not retried until the bound
        }
        db.exec('ROLLBACK');
        const stored = db.prepare('SELECT key FROM surefetch_requests WHERE key LIKE ? ORDER BY key').all(`${namespace}:%`) as Array<{ key: string }>;
        expect(stored.map((row) => row.key)).toEqual([`${namespace}:job-9:create`]);
        expect(await store.get('job-9:create')).toEqual(record);
        await store.markAlive!('owner-1', 60_000);
        expect(await store.isAlive!('owner-1')).toBe(true);
      } finally {
        await store.close();
        db.close();
      }
    });
  }

  it("answers no scope with another scope's record, even from a table whose key compares without case: UnreadableRecordError", async () => {
    const path = join(dir, `nocase-${driver.replace(':', '-')}.db`);
    const db = openHandle(driver, path);
    db.exec('CREATE TABLE surefetch_requests (key TEXT PRIMARY KEY COLLATE NOCASE, value TEXT NOT NULL)');
    db.close();
    const store = sqliteStore({ path, namespace: 'ns', driver });
    try {
      expect(await store.claim(makeRecord('Job-1'), day)).toEqual({ claimed: true });
      for (const run of [() => store.claim(makeRecord('job-1'), day), () => store.get('job-1'), () => store.update(makeRecord('job-1', { version: 2 }), 1, day)]) {
        expect(await failure(run())).toBeInstanceOf(UnreadableRecordError);
      }
      expect((await store.get('Job-1'))?.scope).toBe('Job-1');
    } finally {
      await store.close();
    }
  });

  it("bounds a caller's handle in rollback-journal mode whose COMMIT meets a reader: rejects, rolled back, then claims once", async () => {
    const path = join(dir, `rollback-${driver.replace(':', '-')}.db`);
    const db = openHandle(driver, path);
    const reader = openHandle(driver, path);
    const store = sqliteStore({ database: db, namespace: 'ns', operationTimeoutMs: 300 });
    try {
      await store.get('warm-up');
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual(expect.objectContaining({ journal_mode: 'delete' }));
      reader.exec('BEGIN');
      reader.prepare('SELECT count(*) FROM surefetch_requests').get(); // holds a SHARED lock
      expect(await failure(store.claim(makeRecord('r', { owner: 'first' }), day))).toBeInstanceOf(StoreUnavailableError);
      expect(reader.prepare("SELECT count(*) AS n FROM surefetch_requests WHERE key = 'ns:r'").get()).toEqual(expect.objectContaining({ n: 0 }));
      reader.exec('COMMIT');
      expect(await store.claim(makeRecord('r', { owner: 'second' }), day)).toEqual({ claimed: true });
      expect((await store.get('r'))?.owner).toBe('second');
      db.exec('BEGIN IMMEDIATE'); // no transaction left open by the store
      db.exec('ROLLBACK');
    } finally {
      await store.close();
      reader.close();
      db.close();
    }
  });

  it('rejects within 1 s with StoreUnavailableError, quoting nothing, on a file that is not SQLite, a full database and a closed handle', async () => {
    const junk = join(dir, `junk-${driver.replace(':', '-')}.db`);
    writeFileSync(junk, 'password=hunter2 '.repeat(400));
    const full = openHandle(driver, join(dir, `full-${driver.replace(':', '-')}.db`));
    const fullStore = sqliteStore({ database: full });
    await fullStore.get('warm-up');
    full.exec('PRAGMA max_page_count = 3');
    const closed = openHandle(driver, join(dir, `closed-${driver.replace(':', '-')}.db`));
    closed.close();
    for (const store of [sqliteStore({ path: junk, driver }), fullStore, sqliteStore({ database: closed })]) {
      const started = performance.now();
      const error = await failure(store.claim(makeRecord('x', { error: { message: 'x'.repeat(20_000) } as never }), day));
      expect(performance.now() - started).toBeLessThan(1000);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(String((error as Error).message)).not.toContain('hunter2');
      await store.close();
    }
    full.exec('BEGIN IMMEDIATE'); // the failed claim left no transaction open
    full.exec('ROLLBACK');
    full.close();
  });

  it('rejects reads and writes within 900 ms (bound 300) while another connection holds the file in EXCLUSIVE locking mode', async () => {
    const path = join(dir, `excl-${driver.replace(':', '-')}.db`);
    const first = sqliteStore({ path, namespace: 'ns', driver });
    await first.claim(makeRecord('e'), day);
    await first.close();
    const hog = openHandle(driver, path);
    hog.exec('PRAGMA locking_mode = EXCLUSIVE');
    hog.exec("INSERT INTO surefetch_requests (key, value) VALUES ('hog', '{}')");
    const store = sqliteStore({ path, namespace: 'ns', driver, operationTimeoutMs: 300 });
    try {
      for (const run of [() => store.get('e'), () => store.claim(makeRecord('f'), day)]) {
        const started = performance.now();
        expect(await failure(run())).toBeInstanceOf(StoreUnavailableError);
        expect(performance.now() - started).toBeLessThan(900);
      }
    } finally {
      hog.close();
      await store.close();
    }
  });
});

describe('sqliteStore on a file it cannot open', () => {
  it('rejects each operation quickly with STORE_UNAVAILABLE naming the file and why each driver failed', async () => {
    const path = join(dir, 'no-such-directory', 'jobs.db');
    const store = sqliteStore({ path });
    try {
      for (const [operation, run] of storeOperations(store)) {
        const started = performance.now();
        const error: unknown = await run().then(() => undefined, (e: unknown) => e);
        expect(performance.now() - started).toBeLessThan(1000);
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', backend: 'sqlite', operation, target: path });
        expect((error as Error).message).toMatch(/better-sqlite3: .*; node:sqlite: /);
      }
    } finally {
      await store.close();
    }
  });

  it('refuses unsafe table names and a busyTimeoutMs that is no non-negative integer', () => {
    expect(() => sqliteStore({ path: join(dir, 'x.db'), table: 'requests; DROP TABLE x' })).toThrow(TypeError);
    expect(() => sqliteStore({ path: join(dir, 'x.db'), busyTimeoutMs: -1 })).toThrow(RangeError);
    expect(() => sqliteStore({ path: join(dir, 'x.db'), busyTimeoutMs: 1.5 })).toThrow(RangeError);
  });
});
