/**
 * The PostgreSQL-backed request-record store, for idempotency on one durable database.
 * A separate entry point (`surefetch/postgres`) because it loads the optional peer dependency
 * `@keyv/postgres`.
 *
 * @example
 * ```ts
 * import { idempotency } from 'surefetch';
 * import { postgresStore } from 'surefetch/postgres';
 * const layer = idempotency({ store: postgresStore({ url: process.env.DATABASE_URL! }) });
 * ```
 *
 * @packageDocumentation
 */
export { postgresStore, type PostgresStoreOptions } from './store/postgres-store.js';
