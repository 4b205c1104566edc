/**
 * Code samples of the SQLite store section of the guide "Job workers"
 * (docs/guides/job-workers.md). Type-checked with the project, not run.
 */
import { createFetch, idempotency, retry } from 'surefetch';
import { sqliteStore } from 'surefetch/sqlite';

// #region sqlite-store
// Every worker process of this machine opens the same file; the store creates its table and
// puts the file in WAL mode. better-sqlite3 if it is installed, node:sqlite (Node.js 22.13+) if not.
const store = sqliteStore({ path: '/var/lib/orders-worker/surefetch.db' });
const sureFetch = createFetch({ middleware: [idempotency({ store }), retry()] });

process.once('SIGTERM', () => {
  void store.close(); // pending operations stop at once with StoreUnavailableError
});
// #endregion sqlite-store

export { sureFetch };
