import KeyvRedis, { createClient } from '@keyv/redis';
import { Keyv } from 'keyv';
import { systemClock } from '../core/clock.js';
import { callBackend, maskStoreUrl, urlSecrets, type BackendContext } from './backend-call.js';
import type { RequestRecord } from './record.js';
import { assertCompatibleKeyv, decodeRecord, encodeRecord, keyvKey, UnreadableRecordError } from './record-codec.js';
import { aliveScope, assertTtl, assertVersionAdvances, storeDefaults, type ClaimResult, type KeyvRequestStore, type StoreBaseOptions, type StoreCallOptions } from './request-store.js';
import { StoreUnavailableError, type StoreOperation } from './store-unavailable-error.js';
import { boundedByItself } from './guarded-store.js';
import { guardKeyvReads } from './keyv-read-guard.js';

/**
 * Options of {@link redisStore}: a Redis URL (the store creates and owns its client), or a keyv
 * instance on `@keyv/redis` that you own, created with `throwOnErrors: true` (keyv and adapter)
 * so that a failure can never read as "no record".
 */
export type RedisStoreOptions = StoreBaseOptions &
  (
    | {
        /** E.g. `redis://:password@cache:6379/0`. */
        readonly url: string;
        /** keyv namespace of the records. @default 'surefetch' */
        readonly namespace?: string;
      }
    | {
        /** A keyv instance whose store is a `@keyv/redis` adapter; `close()` leaves it open. */
        readonly keyv: Keyv;
      }
  );

/** The parts of the node-redis v5 client the store uses. */
interface RedisClientLike {
  readonly isOpen: boolean;
  readonly isReady?: boolean;
  connect(): Promise<unknown>;
  set(key: string, value: string, options: { condition?: 'NX'; expiration: { type: 'PX'; value: number } }): Promise<string | null>;
  get(key: string): Promise<string | null>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  close(): Promise<unknown>;
  destroy(): unknown;
}

/** The parts of `@keyv/redis`'s adapter the store uses. */
interface RedisAdapterLike {
  readonly client: RedisClientLike;
  readonly namespace?: string;
  readonly throwOnErrors: boolean;
  readonly opts?: { readonly url?: string };
  createKeyPrefix(key: string, namespace?: string): string;
  getClient(): Promise<RedisClientLike>;
}

// Compare-and-set on the record's version; -1 flags a value that is no keyv-JSON record (or no string: GET errs).
const casScript = `
local current = redis.pcall('GET', KEYS[1])
if not current then return 0 end
if type(current) ~= 'string' then return -1 end
local ok, doc = pcall(cjson.decode, current)
if not ok or type(doc) ~= 'table' or type(doc.value) ~= 'table' or type(doc.value.version) ~= 'number' then return -1 end
if doc.value.version ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;

/** Reconnect backoff of an owned client: 100 ms doubling to 2 s, forever (commands fail fast meanwhile). */
const reconnectDelay = (retries: number): number => Math.min(100 * 2 ** retries, 2000);

/** GET, with a value of another type at the key (a hash, a list: Redis answers WRONGTYPE) read as one that is no record. */
function getString(client: RedisClientLike, key: string): Promise<string | null> {
  return client.get(key).catch((error: unknown) => {
    if (error instanceof Error && error.message.startsWith('WRONGTYPE')) throw new UnreadableRecordError('the stored value is not a Redis string');
    throw error;
  });
}

function isRedisAdapter(value: unknown): value is RedisAdapterLike {
  const v = value as Partial<RedisAdapterLike> | undefined;
  return typeof v?.createKeyPrefix === 'function' && typeof v.getClient === 'function' && typeof v.client === 'object';
}

/**
 * A {@link index.RequestStore} on Redis through keyv and `@keyv/redis`, shared by every worker
 * that uses the same Redis and namespace. `claim` is `SET key value NX PX ttl` and `update` a Lua
 * compare-and-set on the record's version, both on the adapter's node-redis client and on the
 * exact key keyv uses (`namespace::namespace:scope` with keyv's defaults), so `keyv.get(scope)`
 * reads the records. Redis expires records itself (`PX`); a read through keyv (`get`, `getMany`, the
 * iterator; on a keyv you pass in too) never deletes: a record past its `expires` on `Date.now()`, or
 * within a second of it, reads as absent (and `has` says `false`), though Redis may still hold it
 * (a writer's clock behind).
 *
 * An owned client (from `url`) never queues commands while disconnected: while Redis is down
 * every operation rejects at once with a `StoreUnavailableError`, and the client reconnects in
 * the background. A client you pass in is bounded by `operationTimeoutMs` (and the caller's
 * signal) only.
 *
 * @example
 * ```ts
 * const store = redisStore({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
 * const result = await store.claim(record, 7 * 86_400_000);
 * await store.close();
 * ```
 * @example
 * ```ts
 * import { createKeyv } from '@keyv/redis';
 * const store = redisStore({ keyv: createKeyv(url, { namespace: 'idem', throwOnErrors: true }) });
 * ```
 */
export function redisStore(options: RedisStoreOptions): KeyvRequestStore {
  const { operationTimeoutMs = storeDefaults.operationTimeoutMs, clock = systemClock } = options;
  const owned = 'url' in options;
  const keyv = guardKeyvReads(owned ? ownedKeyv(options.url, options.namespace ?? storeDefaults.namespace, operationTimeoutMs) : checkedKeyv(options.keyv));
  const adapter = keyv.store as RedisAdapterLike;
  const url = owned ? options.url : adapter.opts?.url;
  const ctx: BackendContext = {
    backend: 'redis',
    target: url === undefined ? undefined : maskStoreUrl(url),
    secrets: url === undefined ? [] : urlSecrets(url),
    timeoutMs: operationTimeoutMs,
    clock,
  };
  const ready = owned ? readiness(adapter.client) : (): Promise<RedisClientLike> => adapter.getClient();
  let closed = false;
  /** Commands sent and not answered yet, timed-out ones included: close() gives them a bounded wait. */
  const inFlight = new Set<Promise<unknown>>();

  function call<T>(operation: StoreOperation, run: (client: RedisClientLike) => Promise<T>, options?: StoreCallOptions): Promise<T> {
    if (closed) return Promise.reject(new StoreUnavailableError({ backend: 'redis', operation, target: ctx.target, reason: 'the store is closed' }));
    // An abort that came first sends nothing at all.
    if (options?.signal?.aborted === true) return Promise.reject(options.signal.reason);
    const work = (async (): Promise<T> => run(await ready()))();
    inFlight.add(work);
    const forget = (): boolean => inFlight.delete(work);
    work.then(forget, forget);
    return callBackend(ctx, operation, () => work, options?.signal);
  }
  const redisKey = (scope: string): string => adapter.createKeyPrefix(keyvKey(keyv, scope), adapter.namespace);

  return boundedByItself({
    backend: 'redis',
    keyv,
    async claim(record: RequestRecord, ttlMs: number, options?: StoreCallOptions): Promise<ClaimResult> {
      assertTtl(ttlMs);
      const raw = await encodeRecord(keyv, record, clock.now() + ttlMs);
      const key = redisKey(record.scope);
      // The holder may expire or be deleted between SET NX and GET; then the scope is free again.
      for (let round = 0; round < 3; round += 1) {
        const reply = await call('claim', (c) => c.set(key, raw, { condition: 'NX', expiration: { type: 'PX', value: ttlMs } }), options);
        if (reply === 'OK') return { claimed: true };
        const decoded = await decodeRecord(keyv, await call('claim', (c) => getString(c, key), options), Number.NEGATIVE_INFINITY);
        if (decoded) return { claimed: false, existing: decoded.record };
      }
      throw new StoreUnavailableError({ backend: 'redis', operation: 'claim', target: ctx.target, reason: 'the competing record kept vanishing' });
    },
    async get(scope: string, options?: StoreCallOptions): Promise<RequestRecord | undefined> {
      // Read and decoded here, not by keyv, whose parse error would quote a foreign value.
      const raw = await call('get', (c) => getString(c, redisKey(scope)), options);
      return (await decodeRecord(keyv, raw, Number.NEGATIVE_INFINITY))?.record;
    },
    async update(next: RequestRecord, expectedVersion: number, ttlMs: number, options?: StoreCallOptions): Promise<boolean> {
      assertTtl(ttlMs);
      assertVersionAdvances(next, expectedVersion);
      const raw = await encodeRecord(keyv, next, clock.now() + ttlMs);
      const key = redisKey(next.scope);
      const reply = await call('update', (c) => c.eval(casScript, { keys: [key], arguments: [String(expectedVersion), raw, String(ttlMs)] }), options);
      if (reply === -1) throw new UnreadableRecordError('the stored value is not a surefetch request record');
      return reply === 1;
    },
    async delete(scope: string, options?: StoreCallOptions): Promise<void> {
      await call('delete', () => keyv.delete(scope), options);
    },
    // Redis expires the mark itself (PX), on its own clock.
    async markAlive(owner: string, ttlMs: number, options?: StoreCallOptions): Promise<void> {
      assertTtl(ttlMs);
      await call('markAlive', (c) => c.set(redisKey(aliveScope(owner)), '1', { expiration: { type: 'PX', value: ttlMs } }), options);
    },
    async isAlive(owner: string, options?: StoreCallOptions): Promise<boolean> {
      return (await call('isAlive', (c) => c.get(redisKey(aliveScope(owner))), options)) !== null;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (!owned || !adapter.client.isOpen) return;
      // node-redis' graceful close() waits for every pending reply, which a frozen Redis never
      // sends, and cannot be cut short once begun. So wait for this store's own commands up to
      // operationTimeoutMs, then destroy the client: its socket is gone, whatever the backend does.
      if (adapter.client.isReady === true && inFlight.size > 0) await callBackend(ctx, 'close', () => Promise.allSettled([...inFlight])).catch(() => undefined);
      adapter.client.destroy();
    },
  });
}

function ownedKeyv(url: string, namespace: string, timeoutMs: number): Keyv {
  const client = createClient({
    url,
    // A command sent while disconnected fails at once instead of waiting for a reconnect.
    disableOfflineQueue: true,
    socket: { connectTimeout: timeoutMs, reconnectStrategy: reconnectDelay },
  });
  const adapter = new KeyvRedis(client, { throwOnErrors: true, throwOnConnectError: true, connectionTimeout: timeoutMs });
  return new Keyv({ store: adapter, namespace, throwOnErrors: true });
}

function checkedKeyv(keyv: Keyv): Keyv {
  assertCompatibleKeyv(keyv);
  const adapter: unknown = keyv.store;
  if (!isRedisAdapter(adapter)) throw new TypeError('surefetch: redisStore({ keyv }) needs a keyv instance whose store is a @keyv/redis adapter');
  if (!keyv.throwOnErrors || !adapter.throwOnErrors) {
    throw new TypeError(
      'surefetch: redisStore({ keyv }) needs throwOnErrors on keyv and on its @keyv/redis adapter, or a failed read would look like "no record" ' +
        "(createKeyv(url, { throwOnErrors: true }) sets both)",
    );
  }
  return keyv;
}

/**
 * Waits for an owned client to be ready: connects it on first use, shares one wait among
 * concurrent callers, and fails at once while a reconnect after an error is under way.
 */
function readiness(client: RedisClientLike): () => Promise<RedisClientLike> {
  let lastError: unknown;
  let waiter: { promise: Promise<RedisClientLike>; resolve: (c: RedisClientLike) => void; reject: (e: unknown) => void } | undefined;
  client.on('ready', () => {
    lastError = undefined;
    waiter?.resolve(client);
    waiter = undefined;
  });
  client.on('error', (error: unknown) => {
    lastError = error;
    waiter?.reject(error);
    waiter = undefined;
  });
  return async () => {
    if (client.isReady === true) return client;
    if (client.isOpen && lastError !== undefined) throw lastError;
    if (!waiter) {
      let resolve!: (c: RedisClientLike) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<RedisClientLike>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      waiter = { promise, resolve, reject };
    }
    // Connection failures arrive as 'error' events (the client keeps retrying), not as a rejection.
    if (!client.isOpen) client.connect().catch(() => undefined);
    return waiter.promise;
  };
}
