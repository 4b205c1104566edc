import { createRequire } from 'node:module';
import { systemClock } from '../core/clock.js';

/**
 * A prepared statement, as better-sqlite3 and `node:sqlite` both give it: positional `?`
 * parameters, synchronous execution.
 *
 * @example
 * ```ts
 * const row = db.prepare('SELECT value FROM surefetch_requests WHERE key = ?').get('surefetch:job-1');
 * ```
 */
export interface SqliteStatement {
  /** Runs a write; `changes` is the number of rows it changed. */
  run(...parameters: Array<string | number | null>): {
    /** How many rows the statement inserted, updated or deleted. */
    readonly changes: number | bigint;
  };
  /** The first row, or `undefined`. */
  get(...parameters: Array<string | number | null>): unknown;
  /** Every row. */
  all(...parameters: Array<string | number | null>): unknown[];
}

/**
 * An open SQLite database handle: a better-sqlite3 `Database` (12.x) or a `node:sqlite`
 * `DatabaseSync` (Node.js 22.13 or later, where it needs no flag). The store uses its `exec`,
 * `prepare` and `close`, and reads `inTransaction` (better-sqlite3) or `isTransaction`
 * (`node:sqlite`, 22.16 and later) where the handle has it.
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3';
 * const db: SqliteDatabase = new Database('/var/lib/worker/surefetch.db');
 * ```
 */
export interface SqliteDatabase {
  /** Runs SQL without results (pragmas, `BEGIN`, `COMMIT`). */
  exec(sql: string): unknown;
  /** Compiles one statement. */
  prepare(sql: string): SqliteStatement;
  /** Closes the handle. */
  close(): unknown;
  /** better-sqlite3: whether the handle is inside a transaction. */
  readonly inTransaction?: boolean;
  /** `node:sqlite` (22.16 and later): whether the handle is inside a transaction. */
  readonly isTransaction?: boolean;
}

/** Which driver opens a database file given by path. */
export type SqliteDriverName = 'better-sqlite3' | 'node:sqlite';

const requireFromHere = createRequire(import.meta.url);

function openWith(driver: SqliteDriverName, path: string): SqliteDatabase {
  if (driver === 'better-sqlite3') {
    const Database = requireFromHere('better-sqlite3') as new (path: string) => SqliteDatabase;
    // The native binding loads here, not at require(): a build for another Node.js fails now.
    return new Database(path);
  }
  const sqlite = process.getBuiltinModule('node:sqlite') as { DatabaseSync?: new (path: string) => SqliteDatabase } | undefined;
  if (sqlite?.DatabaseSync === undefined) throw new Error(`node:sqlite is not available on Node.js ${process.version} (it needs 22.13 or later, or 22.5 with --experimental-sqlite)`);
  return new sqlite.DatabaseSync(path);
}

/**
 * Opens a database file with the named driver, or, without one, with better-sqlite3 if it loads
 * and `node:sqlite` otherwise. Throws an `Error` naming why each driver failed. @internal
 */
export function openSqliteFile(path: string, driver?: SqliteDriverName): SqliteDatabase {
  if (driver !== undefined) return openWith(driver, path);
  const reasons: string[] = [];
  for (const candidate of ['better-sqlite3', 'node:sqlite'] as const) {
    try {
      return openWith(candidate, path);
    } catch (error) {
      reasons.push(`${candidate}: ${firstLine(error)}`);
    }
  }
  throw new Error(`no SQLite driver could open the file (${reasons.join('; ')})`);
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

/**
 * Whether an error is SQLite's "database is locked" (SQLITE_BUSY, extended codes included), as
 * better-sqlite3 (`code: 'SQLITE_BUSY…'`) and `node:sqlite` (`errcode` 5) report it. @internal
 */
export function isBusy(error: unknown): boolean {
  const { code, errcode } = (error ?? {}) as { code?: unknown; errcode?: unknown };
  return (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) || (typeof errcode === 'number' && (errcode & 0xff) === 5);
}

/**
 * Runs `work` (synchronous SQL, which blocks the event loop for one wait of the connection's
 * short `busy_timeout` at most, plus the file system's own time: fsync, checkpoints) until it does not fail with SQLITE_BUSY, pausing between tries on real timers so
 * the event loop runs meanwhile. Stops with `stop`'s reason once it aborts (the operation's bound,
 * the caller's abort, `close()`). The pauses grow from 1 ms to 25 ms. @internal
 */
export async function whileBusy<T>(work: () => T, stop: AbortSignal): Promise<T> {
  for (let pauseMs = 1; ; pauseMs = Math.min(pauseMs * 2, 25)) {
    stop.throwIfAborted();
    try {
      return work();
    } catch (error) {
      if (!isBusy(error) || stop.aborted) throw error;
    }
    // Real time even under a manual clock (which would resolve at once and spin): a lock is held in real time.
    await systemClock.sleep(pauseMs, stop);
  }
}

/**
 * Whether the handle is inside a transaction, where the drivers tell (better-sqlite3's
 * `inTransaction`, `node:sqlite`'s `isTransaction` from 22.16): a write of the store would join
 * it and go with its `ROLLBACK`. `false` where the driver does not tell. @internal
 */
export function inOpenTransaction(db: SqliteDatabase): boolean {
  return db.inTransaction === true || db.isTransaction === true;
}

/** Why the store refuses a handle inside a transaction of its caller. @internal */
export const inTransactionReason =
  "the database handle is inside a transaction of its own: the store's writes would join it and be lost with its ROLLBACK (give the store a connection of its own, or call it outside the transaction)";

/**
 * Runs `work` in a `BEGIN IMMEDIATE` transaction (the write lock first, so the read inside sees
 * what no other connection can change before the write), committing when it returns and rolling
 * back when it throws. Synchronous: nothing of this process interleaves. Every write of the store
 * goes through here, so none joins a transaction the handle's owner left open: `BEGIN` fails
 * inside one, and that failure says why. @internal
 */
export function immediateTransaction<T>(db: SqliteDatabase, work: () => T): T {
  if (inOpenTransaction(db)) throw new Error(inTransactionReason);
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (error) {
    if (/within a transaction/i.test(error instanceof Error ? error.message : '')) throw new Error(inTransactionReason, { cause: error });
    throw error;
  }
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    try {
      db.exec('ROLLBACK');
    } catch {
      // No transaction left to roll back (SQLite ended it itself).
    }
    throw error;
  }
}

/**
 * One operation of a store inside SQLite at a time: the drivers are synchronous, so two operations
 * that each waited out a `busy_timeout` would block the event loop twice as long, and 50 of them
 * fifty times. The others wait here, on promises, each until its turn or its `stop` (its bound,
 * the caller's abort, `close()`), which takes it out of the line at once. The gate is handed on
 * from a `setImmediate`, so the event loop turns between two operations. @internal
 */
export class SqliteGate {
  #held = false;
  readonly #line: Array<{ readonly enter: () => void }> = [];

  /** Runs `work` once the gate is free and this operation's turn has come; rejects with `stop`'s reason if it aborts first. */
  async run<T>(work: () => Promise<T>, stop: AbortSignal): Promise<T> {
    await this.#enter(stop);
    try {
      return await work();
    } finally {
      this.#leave();
    }
  }

  #enter(stop: AbortSignal): Promise<void> {
    stop.throwIfAborted();
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        enter: (): void => {
          stop.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        const at = this.#line.indexOf(waiter);
        if (at >= 0) this.#line.splice(at, 1);
        reject(stop.reason);
      };
      this.#line.push(waiter);
      stop.addEventListener('abort', onAbort, { once: true });
    });
  }

  #leave(): void {
    if (this.#line.length === 0) {
      this.#held = false;
      return;
    }
    // Still held while the event loop turns; a waiter that stops meanwhile has left the line.
    setImmediate(() => {
      const next = this.#line.shift();
      if (next) next.enter();
      else this.#held = false;
    });
  }
}
