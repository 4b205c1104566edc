import type { StoreOperation } from './store-unavailable-error.js';
import { immediateTransaction, type SqliteDatabase } from './sqlite-driver.js';

/** The prepared statements of a store's table that the keyv adapter uses. @internal */
export interface SqliteTableStatements {
  /** The handle, for the transaction every write runs in. */
  readonly db: SqliteDatabase;
  /** `SELECT value … WHERE key = ?` */
  readonly select: { get(key: string): unknown };
  /** Insert or replace `(key, value)`. */
  readonly upsert: { run(key: string, value: string): unknown };
  /** `DELETE … WHERE key = ?` */
  readonly remove: { run(key: string): { readonly changes: number | bigint } };
  /** `DELETE … WHERE key` starts with the given prefix. */
  readonly removePrefix: { run(prefix: string, samePrefix: string): unknown };
}

/** Runs one bounded operation on the table (the store's own bound, busy retries and close). @internal */
export type SqliteRun = <T>(operation: StoreOperation, work: (statements: SqliteTableStatements) => T) => Promise<T>;

/**
 * The keyv storage adapter of `sqliteStore`: keyv's `get`/`set`/`delete`/`clear` on the store's
 * own table and connection, so `store.keyv.get(scope)` reads the records `claim` and `update`
 * wrote. Values are keyv's serialized `{ value, expires }` text; the table's rows expire lazily
 * (nothing sweeps them).
 * `sqliteStore` wraps its reads with `guardKeyvReads`, as the other stores' are, so keyv never
 * deletes a row it finds expired. Every write runs in a `BEGIN IMMEDIATE` transaction of its own. @internal
 */
export class SqliteKeyvAdapter {
  /** keyv reads `opts`; this adapter has none to give. */
  readonly opts: Record<string, never> = {};
  /** Set by keyv to its namespace; `clear()` deletes only the rows under it. */
  namespace: string | undefined;
  readonly #run: SqliteRun;

  /** @param run - the store's bounded way to run work on its table */
  constructor(run: SqliteRun) {
    this.#run = run;
  }

  /** The stored text at `key`, or `undefined`. */
  async get(key: string): Promise<string | undefined> {
    const row = await this.#run('get', (s) => s.select.get(key) as { value?: unknown } | undefined);
    return typeof row?.value === 'string' ? row.value : undefined;
  }

  /** Writes keyv's serialized text at `key` (its expiry is inside the text). */
  async set(key: string, value: unknown): Promise<void> {
    if (typeof value !== 'string') throw new TypeError('surefetch: the SQLite keyv adapter stores serialized text only');
    await this.#run('update', (s) => immediateTransaction(s.db, () => s.upsert.run(key, value)));
  }

  /** Deletes `key`; whether a row was there. */
  async delete(key: string): Promise<boolean> {
    return this.#run('delete', (s) => immediateTransaction(s.db, () => Number(s.remove.run(key).changes) > 0));
  }

  /** Deletes every row of keyv's namespace (every row of the table when there is none). */
  async clear(): Promise<void> {
    const prefix = this.namespace === undefined || this.namespace === '' ? '' : `${this.namespace}:`;
    await this.#run('delete', (s) => immediateTransaction(s.db, () => s.removePrefix.run(prefix, prefix)));
  }
}
