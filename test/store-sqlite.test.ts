import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../src/core/clock.js';
import { sqliteStore } from '../src/store/sqlite-store.js';
import { StoreUnavailableError } from '../src/store/store-unavailable-error.js';
import { describeStoreContract, makeRecord, uniqueNamespace } from './support/store-contract.js';
import { driverFailures, openHandle, sqliteDir, sqliteDrivers } from './support/sqlite-drivers.js';

const day = 86_400_000;
const dir = sqliteDir();
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);

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
});

describe('sqliteStore on a file it cannot open', () => {
  it('rejects each operation quickly with STORE_UNAVAILABLE naming the file and why each driver failed', async () => {
    const path = join(dir, 'no-such-directory', 'jobs.db');
    const store = sqliteStore({ path });
    try {
      for (const [operation, run] of [
        ['claim', () => store.claim(makeRecord('x'), day)],
        ['get', () => store.get('x')],
        ['update', () => store.update(makeRecord('x', { version: 2 }), 1, day)],
        ['delete', () => store.delete('x')],
        ['markAlive', () => store.markAlive!('owner', 1000)],
      ] as const) {
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
