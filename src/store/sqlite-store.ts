import { Keyv } from 'keyv';
import { systemClock } from '../core/clock.js';
import { callBackend, type BackendContext } from './backend-call.js';
import type { RequestRecord } from './record.js';
import { checkDecoded, deserializeStored, encodeRecord, keyvKey, UnreadableRecordError } from './record-codec.js';
import { aliveScope, assertTtl, assertVersionAdvances, storeDefaults, type ClaimResult, type KeyvRequestStore, type StoreBaseOptions, type StoreCallOptions } from './request-store.js';
import { StoreUnavailableError, type StoreOperation } from './store-unavailable-error.js';
import { boundedByItself } from './guarded-store.js';
import { immediateTransaction, inOpenTransaction, inTransactionReason, openSqliteFile, SqliteGate, whileBusy, type SqliteDatabase, type SqliteDriverName, type SqliteStatement } from './sqlite-driver.js';
import { SqliteKeyvAdapter, type SqliteTableStatements } from './sqlite-keyv.js';
import { guardKeyvReads } from './keyv-read-guard.js';

/**
 * Options of {@link sqliteStore}: a database file (the store opens and owns its connection), or
 * a database handle you opened (better-sqlite3 12.x or `node:sqlite`'s `DatabaseSync`), which
 * `close()` leaves open.
 */
export type SqliteStoreOptions = StoreBaseOptions & {
  /** Table of the records (created if missing). A plain SQL identifier. @default 'surefetch_requests' */
  readonly table?: string;
  /** keyv namespace of the records. @default 'surefetch' */
  readonly namespace?: string;
  /**
   * SQLite's `busy_timeout` of the connection: how long one try of an operation may block the
   * event loop waiting for another connection's lock before the store lets the loop run and tries
   * again (until `operationTimeoutMs`). One operation of the store is inside SQLite at a time; the
   * others wait on promises, within their own bound.
   * @default 20
   */
  readonly busyTimeoutMs?: number;
} & (
    | {
        /** The database file, e.g. `/var/lib/worker/surefetch.db`, on a local file system. */
        readonly path: string;
        /** The driver that opens `path`. @default better-sqlite3 if it loads, else `node:sqlite` */
        readonly driver?: SqliteDriverName;
      }
    | {
        /**
         * A handle you opened; the store sets its `busy_timeout`, raises its `synchronous` to
         * `FULL` if it is lower (better-sqlite3 compiles in `NORMAL`, under which a claim
         * committed in WAL mode can be lost in a power cut), keeps its journal mode, and leaves it
         * open on `close()`. Give the store a connection of its own: an operation while the handle
         * is inside a transaction of yours is refused with a `StoreUnavailableError`, since the
         * store's writes would join it and be lost with its `ROLLBACK`.
         */
        readonly database: SqliteDatabase;
      }
  );

const identifier = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** SQLite's own clock, in epoch ms (the machine's clock: every worker on the file shares it). */
const dbNowMs = `CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)`;

interface Statements extends SqliteTableStatements {
  readonly db: SqliteDatabase;
  readonly markAlive: SqliteStatement;
  readonly isAlive: SqliteStatement;
}

/**
 * A {@link index.RequestStore} in one SQLite file, for a job worker whose processes share one
 * machine. `claim` and `update` each read and write in one `BEGIN IMMEDIATE` transaction (SQLite's
 * write lock, held across processes), so one claim of a scope wins however many processes race;
 * an expired record counts as absent, judged on the store's `clock`. Liveness marks are judged on
 * SQLite's `'now'`, the one clock of the machine. The rows are keyv's (`key` = `namespace:scope`,
 * `value` = keyv's JSON text), so `store.keyv.get(scope)` reads the records.
 *
 * The drivers are synchronous, and one operation of the store is inside SQLite at a time (the
 * others wait on promises, each within its own bound): while another connection holds the lock,
 * one try waits at most `busyTimeoutMs` for it, then the store lets the event loop run and tries
 * again on timers, and rejects with a `StoreUnavailableError` after `operationTimeoutMs`. (A try
 * that gets the lock still takes the file system's time, an fsync or a checkpoint, while it
 * blocks.) An owned file is put in WAL mode (readers never wait for the writer); every connection
 * of the store, yours too, gets `synchronous = FULL` (a committed claim survives a power cut). WAL
 * needs every process on one machine and a local file system: not NFS or SMB, whose locks and
 * shared memory SQLite cannot rely on. Rows expire lazily, as in `postgresStore`; sweep them with
 * e.g. `DELETE FROM surefetch_requests WHERE json_valid(value) AND json_extract(value, '$.expires') < unixepoch() * 1000`.
 *
 * @example
 * ```ts
 * import { idempotency } from 'surefetch';
 * import { sqliteStore } from 'surefetch/sqlite';
 * const store = sqliteStore({ path: '/var/lib/worker/surefetch.db' });
 * const layer = idempotency({ store });
 * // on shutdown
 * await store.close();
 * ```
 */
export function sqliteStore(options: SqliteStoreOptions): KeyvRequestStore {
  const { operationTimeoutMs = storeDefaults.operationTimeoutMs, clock = systemClock, table = 'surefetch_requests', busyTimeoutMs = 20 } = options;
  if (!identifier.test(table)) throw new TypeError(`surefetch: "${table}" is not a plain SQL identifier (letters, digits, _)`);
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) throw new RangeError(`surefetch: busyTimeoutMs must be a non-negative integer, got ${String(busyTimeoutMs)}`);
  const owned = 'path' in options;
  const ctx: BackendContext = { backend: 'sqlite', target: owned ? options.path : undefined, secrets: [], timeoutMs: operationTimeoutMs, clock };
  const closing = new AbortController();
  const gate = new SqliteGate();
  let handle: SqliteDatabase | undefined = owned ? undefined : options.database;
  let statements: Statements | undefined;

  // Opened and set up by the first operation, inside its bound: a missing directory or a locked
  // file is a StoreUnavailableError of that operation, not a throw at start-up.
  function ready(): Statements {
    if (statements) return statements;
    handle ??= openSqliteFile((options as { path: string }).path, (options as { driver?: SqliteDriverName }).driver);
    const db = handle;
    db.exec(`PRAGMA busy_timeout = ${String(busyTimeoutMs)}`);
    if (owned) db.exec('PRAGMA journal_mode = WAL');
    // FULL (2), or EXTRA (3) if the caller chose it: a claim this store committed must survive a power cut.
    const synchronous = Number((db.prepare('PRAGMA synchronous').get() as { synchronous?: unknown } | undefined)?.synchronous);
    if (!(synchronous >= 2)) db.exec('PRAGMA synchronous = FULL');
    db.exec(`CREATE TABLE IF NOT EXISTS "${table}" (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)`);
    statements = {
      db,
      select: db.prepare(`SELECT value FROM "${table}" WHERE key = ?`),
      upsert: db.prepare(`INSERT INTO "${table}" (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
      remove: db.prepare(`DELETE FROM "${table}" WHERE key = ?`),
      removePrefix: db.prepare(`DELETE FROM "${table}" WHERE substr(key, 1, length(?)) = ?`),
      markAlive: db.prepare(`INSERT INTO "${table}" (key, value) VALUES (?, json_object('value', json('true'), 'expires', ${dbNowMs} + ?))
        ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
      isAlive: db.prepare(`SELECT 1 AS alive FROM "${table}" WHERE key = ? AND (CASE WHEN json_valid(value) THEN json_extract(value, '$.expires') END) > ${dbNowMs}`),
    };
    return statements;
  }

  /** The statements, on a handle that is not inside a transaction of its caller's. */
  function statementsOutsideTransaction(): Statements {
    const s = ready();
    if (inOpenTransaction(s.db)) throw new Error(inTransactionReason);
    return s;
  }

  function call<T>(operation: StoreOperation, work: (s: Statements) => T, options?: StoreCallOptions): Promise<T> {
    if (closing.signal.aborted) return Promise.reject(new StoreUnavailableError({ backend: 'sqlite', operation, target: ctx.target, reason: 'the store is closed' }));
    // Stops the operation, waiting for its turn at the gate or between tries, with its bound, the
    // caller's abort or close(). Made before callBackend's own timer of the same length, so it
    // fires first: no try starts after the caller was told the operation failed. Listeners, not
    // AbortSignal.any: the store's own signal lives as long as it does, and Node 20 keeps what
    // AbortSignal.any ties to a long-lived signal.
    const settled = new AbortController();
    const stop = new AbortController();
    const bound = clock.timeoutSignal(operationTimeoutMs, settled.signal);
    const sources = [closing.signal, bound, ...(options?.signal ? [options.signal] : [])];
    const onAbort = function (this: AbortSignal): void {
      stop.abort(this === bound ? new Error(`no answer within ${String(operationTimeoutMs)} ms (operationTimeoutMs)`) : this.reason);
    };
    for (const source of sources) {
      if (source.aborted) onAbort.call(source);
      else source.addEventListener('abort', onAbort, { once: true });
    }
    const release = (): void => {
      for (const source of sources) source.removeEventListener('abort', onAbort);
      settled.abort();
    };
    if (options?.signal?.aborted === true) release(); // callBackend rejects without running it
    return callBackend(
      ctx,
      operation,
      async () => {
        try {
          return await gate.run(() => whileBusy(() => work(statementsOutsideTransaction()), stop.signal), stop.signal);
        } finally {
          release();
        }
      },
      options?.signal,
    );
  }

  // Its reads never delete: keyv would delete a row it finds expired, a takeover claim committed since the read included.
  const keyv = guardKeyvReads(new Keyv({ store: new SqliteKeyvAdapter((operation, work) => call(operation, work)), namespace: options.namespace ?? storeDefaults.namespace, throwOnErrors: true }), () => clock.now());

  /**
   * The live record of `scope` in a row's value; an UnreadableRecordError (never quoting the
   * value) for a foreign one, or for another scope's record (a table whose key compares without
   * case, say, would hand one over).
   */
  function decodeRow(row: unknown, scope: string): RequestRecord | undefined {
    const value = (row as { value?: unknown } | undefined)?.value;
    const record = checkDecoded(deserializeStored(keyv, value), clock.now())?.record;
    if (record !== undefined && record.scope !== scope) throw new UnreadableRecordError("the stored value is another scope's record (does the table's key compare without case?)");
    return record;
  }

  return boundedByItself({
    backend: 'sqlite',
    keyv,
    async claim(record: RequestRecord, ttlMs: number, options?: StoreCallOptions): Promise<ClaimResult> {
      assertTtl(ttlMs);
      const raw = await encodeRecord(keyv, record, clock.now() + ttlMs);
      const key = keyvKey(keyv, record.scope);
      return call('claim', (s) => immediateTransaction(s.db, (): ClaimResult => {
        const existing = decodeRow(s.select.get(key), record.scope);
        if (existing !== undefined) return { claimed: false, existing };
        s.upsert.run(key, raw);
        return { claimed: true };
      }), options);
    },
    async get(scope: string, options?: StoreCallOptions): Promise<RequestRecord | undefined> {
      const key = keyvKey(keyv, scope);
      return call('get', (s) => decodeRow(s.select.get(key), scope), options);
    },
    async update(next: RequestRecord, expectedVersion: number, ttlMs: number, options?: StoreCallOptions): Promise<boolean> {
      assertTtl(ttlMs);
      assertVersionAdvances(next, expectedVersion);
      const raw = await encodeRecord(keyv, next, clock.now() + ttlMs);
      const key = keyvKey(keyv, next.scope);
      return call('update', (s) => immediateTransaction(s.db, () => {
        if (decodeRow(s.select.get(key), next.scope)?.version !== expectedVersion) return false;
        s.upsert.run(key, raw);
        return true;
      }), options);
    },
    async delete(scope: string, options?: StoreCallOptions): Promise<void> {
      const key = keyvKey(keyv, scope);
      await call('delete', (s) => immediateTransaction(s.db, () => s.remove.run(key)), options);
    },
    // A keyv-shaped row whose expiry SQLite computes and judges, on its own clock.
    async markAlive(owner: string, ttlMs: number, options?: StoreCallOptions): Promise<void> {
      assertTtl(ttlMs);
      const key = keyvKey(keyv, aliveScope(owner));
      await call('markAlive', (s) => immediateTransaction(s.db, () => s.markAlive.run(key, ttlMs)), options);
    },
    async isAlive(owner: string, options?: StoreCallOptions): Promise<boolean> {
      const key = keyvKey(keyv, aliveScope(owner));
      return call('isAlive', (s) => s.isAlive.get(key) !== undefined, options);
    },
    async close(): Promise<void> {
      if (closing.signal.aborted) return;
      // Pending operations wait only on promises (at the gate, or on timers between tries): they stop now, with a StoreUnavailableError.
      closing.abort(new Error('the store is closed'));
      if (owned && handle) {
        const db = handle;
        handle = undefined;
        db.close();
      }
    },
  });
}
