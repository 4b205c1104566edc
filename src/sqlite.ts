/**
 * The SQLite-backed request-record store, for idempotency across the processes of one machine
 * sharing one database file. A separate entry point (`surefetch/sqlite`) because it loads the
 * optional peer dependency `better-sqlite3` (or Node.js's built-in `node:sqlite`).
 *
 * @example
 * ```ts
 * import { idempotency } from 'surefetch';
 * import { sqliteStore } from 'surefetch/sqlite';
 * const layer = idempotency({ store: sqliteStore({ path: '/var/lib/worker/surefetch.db' }) });
 * ```
 *
 * @packageDocumentation
 */
export { sqliteStore, type SqliteStoreOptions } from './store/sqlite-store.js';
export type { SqliteDatabase, SqliteDriverName, SqliteStatement } from './store/sqlite-driver.js';
