/**
 * The SQLite drivers that load on this Node.js: better-sqlite3 where its native build matches
 * (CI's node_modules is built for Node 20, so not on Node 22), `node:sqlite` from Node 22.13 on
 * (22.5 behind a flag). The SQLite tests run once per driver found; on Node 20 and 22 at least
 * one is there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openSqliteFile, type SqliteDatabase, type SqliteDriverName } from '../../src/store/sqlite-driver.js';

/** Why each driver did not load, for the test that requires one. */
export const driverFailures: Record<string, string> = {};

/** The drivers that open a database here. */
export const sqliteDrivers: SqliteDriverName[] = (['better-sqlite3', 'node:sqlite'] as const).filter((driver) => {
  try {
    openSqliteFile(':memory:', driver).close();
    return true;
  } catch (error) {
    driverFailures[driver] = String(error).split('\n')[0] ?? '';
    return false;
  }
});

/** A handle on `path` opened with `driver`, as a user would open it. */
export function openHandle(driver: SqliteDriverName, path: string): SqliteDatabase {
  return openSqliteFile(path, driver);
}

/** A fresh temporary directory for database files, removed after the test file's last test (call it at the top of a test file). */
export function sqliteDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'surefetch-sqlite-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
