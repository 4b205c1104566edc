import KeyvPostgres from '@keyv/postgres';
import { Keyv } from 'keyv';
import { systemClock } from '../core/clock.js';
import { callBackend, maskStoreUrl, urlSecrets, type BackendContext } from './backend-call.js';
import type { RequestRecord } from './record.js';
import { assertCompatibleKeyv, decodeRecord, encodeRecord, keyvKey, UnreadableRecordError, type DecodedRecord } from './record-codec.js';
import { aliveScope, assertTtl, assertVersionAdvances, storeDefaults, type ClaimResult, type KeyvRequestStore, type StoreBaseOptions, type StoreCallOptions } from './request-store.js';
import { StoreUnavailableError, type StoreOperation } from './store-unavailable-error.js';
import { boundedByItself } from './guarded-store.js';
import { guardKeyvReads } from './keyv-read-guard.js';

/**
 * Options of {@link postgresStore}: a PostgreSQL URL (the store creates and owns its pool), or a
 * keyv instance on `@keyv/postgres` that you own, created with `throwOnErrors: true`.
 */
export type PostgresStoreOptions = StoreBaseOptions &
  (
    | {
        /** E.g. `postgresql://app:password@db:5432/app`. */
        readonly url: string;
        /** Table of the records (created if missing). A plain SQL identifier. @default 'surefetch_requests' */
        readonly table?: string;
        /** Schema of the table. A plain SQL identifier. @default 'public' */
        readonly schema?: string;
        /** keyv namespace of the records. @default 'surefetch' */
        readonly namespace?: string;
      }
    | {
        /** A keyv instance whose store is a `@keyv/postgres` adapter; `close()` leaves it open. */
        readonly keyv: Keyv;
      }
  );

/** The parts of pg's `Pool` the store uses. */
interface PoolLike {
  on(event: 'error', listener: () => void): unknown;
  end(): Promise<void>;
  /** pg-pool's clients, idle and checked out (not public API: read defensively). */
  readonly _clients?: ReadonlyArray<{ readonly connection?: { readonly stream?: { destroy(): void } } }>;
}

/** The parts of `@keyv/postgres`'s adapter the store uses. */
interface PostgresAdapterLike {
  readonly opts: { readonly uri?: string; readonly table?: string; readonly schema?: string; readonly keySize?: number; readonly useUnloggedTable?: boolean };
  query(sql: string, values?: unknown[]): Promise<Array<Record<string, unknown>>>;
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
let poolSequence = 0;
/** The database's own time in epoch ms (not the transaction start: a long transaction must not freeze it). */
const dbNowMs = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;

function isPostgresAdapter(value: unknown): value is PostgresAdapterLike {
  const v = value as Partial<PostgresAdapterLike> | undefined;
  return typeof v?.query === 'function' && typeof v.opts === 'object';
}

/**
 * A {@link index.RequestStore} on PostgreSQL through keyv and `@keyv/postgres` (a `key`/`value` text
 * table), shared by every worker that uses the same table and namespace. `claim` is one
 * `INSERT … ON CONFLICT (key) DO UPDATE … WHERE <stored record expired>` (so an expired row counts
 * as absent) and `update` an `UPDATE … WHERE key = $1 AND <version matches>`, both through the
 * adapter's `query`, so `keyv.get(scope)` reads the records.
 *
 * SQL rows expire lazily: a row past its TTL is ignored by every operation and by `store.keyv`'s
 * reads (which also hide one within a second of it on `Date.now()`), but **nothing deletes it**, not
 * even a read through keyv (its delete could erase a takeover claim committed since the read; on a keyv
 * you pass in too). Expired rows stay; delete them from a periodic job if the table grows, e.g.
 * `DELETE FROM surefetch_requests WHERE (value::jsonb->>'expires')::bigint < extract(epoch from now()) * 1000`.
 *
 * Each store from a `url` gets its own connection pool (`@keyv/postgres` otherwise shares one per
 * URL, and `disconnect()` would end it for every user), and `close()` ends only that pool.
 * Scopes must fit the key column with the namespace: 255 characters by default.
 *
 * @example
 * ```ts
 * const store = postgresStore({ url: process.env.DATABASE_URL ?? 'postgresql://localhost/app' });
 * const result = await store.claim(record, 7 * 86_400_000);
 * await store.close();
 * ```
 */
export function postgresStore(options: PostgresStoreOptions): KeyvRequestStore {
  const { operationTimeoutMs = storeDefaults.operationTimeoutMs, clock = systemClock } = options;
  let ownPool: PoolLike | undefined;
  const keyv = guardKeyvReads('url' in options ? ownedKeyv(options, operationTimeoutMs, (pool) => (ownPool = pool)) : checkedKeyv(options.keyv), () => clock.now());
  const owned = 'url' in options;
  const adapter = keyv.store as PostgresAdapterLike;
  const { schema = 'public', table = 'keyv', keySize = 255, useUnloggedTable = false } = adapter.opts;
  const qualified = `${schema}.${table}`;
  const url = owned ? options.url : adapter.opts.uri;
  const [target, secrets] = url === undefined ? [undefined, []] : [maskStoreUrl(url), urlSecrets(url)];
  const ctx: BackendContext = { backend: 'postgres', target, secrets, timeoutMs: operationTimeoutMs, clock };
  let closed = false;

  async function ensureTable(): Promise<void> {
    const create = `CREATE${useUnloggedTable ? ' UNLOGGED' : ''} TABLE IF NOT EXISTS ${qualified}(key VARCHAR(${Number(keySize)}) PRIMARY KEY, value TEXT)`;
    // Two workers creating the table at once collide on the catalog; either way the table exists.
    await adapter.query(create).catch((error: unknown) => {
      if (!['23505', '42P07'].includes(String((error as { code?: unknown }).code))) throw error;
    });
  }

  function call<T>(operation: StoreOperation, run: () => Promise<T>, options?: StoreCallOptions): Promise<T> {
    if (closed) return Promise.reject(new StoreUnavailableError({ backend: 'postgres', operation, target: ctx.target, reason: 'the store is closed' }));
    // The adapter creates its table once at construction; if the database was down then, create it now.
    return callBackend(ctx, operation, () =>
      run().catch(async (error: unknown) => {
        if ((error as { code?: unknown }).code !== '42P01') throw error;
        await ensureTable();
        return run();
      }),
      options?.signal,
    );
  }

  function rowKey(scope: string): string {
    const key = keyvKey(keyv, scope);
    if (key.length > keySize) throw new RangeError(`surefetch: the scope is too long for the key column (${String(key.length)} > ${String(keySize)} characters with the namespace)`);
    return key;
  }

  /** The row of `key` as it is now, decoded (an UnreadableRecordError when it holds no record). */
  async function readRow(operation: StoreOperation, key: string, options?: StoreCallOptions): Promise<{ found: boolean; decoded: DecodedRecord | undefined }> {
    const rows = await call(operation, () => adapter.query(`SELECT value FROM ${qualified} WHERE key = $1`, [key]), options);
    return { found: rows.length > 0, decoded: await decodeRecord(keyv, rows[0]?.value, clock.now()) };
  }

  return boundedByItself({
    backend: 'postgres',
    keyv,
    async claim(record: RequestRecord, ttlMs: number, options?: StoreCallOptions): Promise<ClaimResult> {
      assertTtl(ttlMs);
      const key = rowKey(record.scope);
      const raw = await encodeRecord(keyv, record, clock.now() + ttlMs);
      const claimSql = `INSERT INTO ${qualified} AS cur (key, value) VALUES ($1, $2)
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
        WHERE (cur.value::jsonb ->> 'expires')::bigint <= $3
        RETURNING key`;
      // The holder may expire or be deleted between the insert and the read; then the scope is free again.
      for (let round = 0; round < 3; round += 1) {
        const inserted = await call('claim', () => uncast(adapter.query(claimSql, [key, raw, Math.floor(clock.now())])), options);
        if (inserted?.length === 1) return { claimed: true };
        const { found, decoded } = await readRow('claim', key, options);
        if (decoded) return { claimed: false, existing: decoded.record };
        // A row the claim could not read (not JSON, an expiry no bigint) is never overwritten, even when it reads as expired.
        if (inserted === null && found) throw new UnreadableRecordError('the stored expiry cannot be read');
      }
      throw new StoreUnavailableError({ backend: 'postgres', operation: 'claim', target: ctx.target, reason: 'the competing record kept vanishing' });
    },
    async get(scope: string, options?: StoreCallOptions): Promise<RequestRecord | undefined> {
      // Read and decoded here, not by keyv, whose parse error would quote a foreign value.
      return (await readRow('get', rowKey(scope), options)).decoded?.record;
    },
    async update(next: RequestRecord, expectedVersion: number, ttlMs: number, options?: StoreCallOptions): Promise<boolean> {
      assertTtl(ttlMs);
      assertVersionAdvances(next, expectedVersion);
      const key = rowKey(next.scope);
      const raw = await encodeRecord(keyv, next, clock.now() + ttlMs);
      const casSql = `UPDATE ${qualified} SET value = $2
        WHERE key = $1
          AND (value::jsonb -> 'value' ->> 'version')::bigint = $3
          AND coalesce((value::jsonb ->> 'expires')::bigint > $4, true)
        RETURNING key`;
      const rows = await call('update', () => uncast(adapter.query(casSql, [key, raw, expectedVersion, Math.floor(clock.now())])), options);
      if (rows?.length === 1) return true;
      // Not updated: a record of another version, none, or a value that is no record (refused as in claim).
      const { decoded } = await readRow('update', key, options);
      if (rows === null && decoded) throw new UnreadableRecordError('the stored expiry cannot be read');
      return false;
    },
    async delete(scope: string, options?: StoreCallOptions): Promise<void> {
      rowKey(scope);
      await call('delete', () => keyv.delete(scope), options);
    },
    // The mark is a keyv-shaped row whose expiry the database computes and judges, on its own clock.
    async markAlive(owner: string, ttlMs: number, options?: StoreCallOptions): Promise<void> {
      assertTtl(ttlMs);
      const sql = `INSERT INTO ${qualified} (key, value) VALUES ($1, json_build_object('value', true, 'expires', ${dbNowMs} + $2::bigint)::text)
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`;
      const key = rowKey(aliveScope(owner));
      await call('markAlive', () => adapter.query(sql, [key, ttlMs]), options);
    },
    async isAlive(owner: string, options?: StoreCallOptions): Promise<boolean> {
      const sql = `SELECT 1 FROM ${qualified} WHERE key = $1 AND (value::jsonb ->> 'expires')::bigint > ${dbNowMs}`;
      const key = rowKey(aliveScope(owner));
      return (await call('isAlive', () => adapter.query(sql, [key]), options)).length === 1;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      const pool = ownPool;
      if (!pool) return;
      // pool.end() waits for every checked-out client, and one stuck on a frozen server never
      // comes back: past operationTimeoutMs, destroy the sockets (the pending queries then fail).
      const ended = pool.end().catch(() => undefined);
      const timedOut = await callBackend(ctx, 'close', () => ended).then(() => false, () => true);
      if (!timedOut) return;
      for (const client of pool._clients ?? []) client.connection?.stream?.destroy();
      await callBackend(ctx, 'close', () => ended).catch(() => undefined);
    },
  });
}

function ownedKeyv(
  options: { readonly url: string; readonly table?: string; readonly schema?: string; readonly namespace?: string },
  timeoutMs: number,
  onPool: (pool: PoolLike) => void,
): Keyv {
  const { url, table = 'surefetch_requests', schema = 'public', namespace = storeDefaults.namespace } = options;
  for (const name of [table, schema]) {
    if (!identifier.test(name)) throw new TypeError(`surefetch: "${name}" is not a plain SQL identifier (letters, digits, _)`);
  }
  poolSequence += 1;
  let captured = false;
  const adapter = new KeyvPostgres({
    // @keyv/postgres keeps one module-wide pool per URI string; a fragment (ignored when
    // connecting) gives this store a pool of its own.
    uri: `${url.split('#')[0] ?? url}#surefetch-store-${String(poolSequence)}`,
    table,
    schema,
    connectionTimeoutMillis: timeoutMs,
    allowExitOnIdle: true,
    // pg-pool calls `this.log(...)` on the pool on its first activity: the only handle on the pool
    // @keyv/postgres creates. Its 'error' event (an idle connection dropped) would otherwise crash the process.
    log(this: PoolLike): void {
      if (captured) return;
      captured = true;
      this.on('error', () => undefined);
      onPool(this);
    },
  });
  return new Keyv({ store: adapter, namespace, throwOnErrors: true });
}

function checkedKeyv(keyv: Keyv): Keyv {
  assertCompatibleKeyv(keyv);
  const adapter: unknown = keyv.store;
  if (!isPostgresAdapter(adapter)) throw new TypeError('surefetch: postgresStore({ keyv }) needs a keyv instance whose store is a @keyv/postgres adapter');
  if (!keyv.throwOnErrors) {
    throw new TypeError('surefetch: postgresStore({ keyv }) needs keyv created with throwOnErrors: true, or a failed delete would pass silently');
  }
  return keyv;
}

// `null` for a data exception (SQLSTATE class 22: not JSON, a number no bigint or out of its range)
// from the casts of a stored value: a value that cannot be read, which is no outage.
function uncast<T>(query: Promise<T>): Promise<T | null> {
  return query.catch((error: unknown) => (/^22[0-9A-Z]{3}$/.test(String((error as { code?: unknown } | undefined)?.code)) ? null : Promise.reject(error)));
}
