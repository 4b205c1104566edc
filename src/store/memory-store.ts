import { Keyv } from 'keyv';
import { systemClock, type Clock } from '../core/clock.js';
import { BoundedMap } from './bounded-map.js';
import type { RequestRecord } from './record.js';
import { checkDecoded, deserializeStored, encodeRecord, keyvKey } from './record-codec.js';
import { aliveScope, assertTtl, assertVersionAdvances, storeDefaults, type ClaimResult, type KeyvRequestStore, type StoreCallOptions } from './request-store.js';
import { StoreUnavailableError, type StoreOperation } from './store-unavailable-error.js';
import { boundedByItself } from './guarded-store.js';

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The most records kept. When full, expired records go first, then the least recently used,
   * pending ones included: keep it well above the number of calls in flight. A record with a
   * small JSON answer costs about 1.4 KB of heap (`BENCH_ONLY=record-size npm run bench`), so the
   * default holds about 15 MB; a stored replay body adds its own size.
   * @default 10000
   */
  readonly maxEntries?: number;
  /**
   * keyv namespace of the records.
   * @default 'surefetch'
   */
  readonly namespace?: string;
  /**
   * Judges record expiry.
   * @default systemClock
   */
  readonly clock?: Clock;
}

const defaults = Object.freeze({ maxEntries: 10_000 });

/**
 * An in-process {@link RequestStore}: records live in a bounded `Map` behind a keyv instance.
 * `claim` and `update` are atomic because nothing awaits between their check and their write.
 * It survives retries, not a process restart: use `redisStore` or `postgresStore` for job
 * workers whose re-runs may land in another process.
 *
 * @example
 * ```ts
 * const store = memoryStore({ maxEntries: 1000 });
 * const { claimed } = await store.claim(record, 60_000);
 * ```
 */
export function memoryStore(options: MemoryStoreOptions = {}): KeyvRequestStore {
  const { maxEntries = defaults.maxEntries, namespace = storeDefaults.namespace, clock = systemClock } = options;
  const map = new BoundedMap(maxEntries, clock);
  const keyv = new Keyv({ store: map, namespace, throwOnErrors: true });
  let closed = false;

  function assertOpen(operation: StoreOperation, options?: StoreCallOptions): void {
    // Nothing here waits, so an abort matters only if it came before the call.
    options?.signal?.throwIfAborted();
    if (closed) throw new StoreUnavailableError({ backend: 'memory', operation, reason: 'the store is closed' });
  }

  // A value that is no record (not a string, not keyv's JSON, not a record) throws an UnreadableRecordError.
  function decodeNow(raw: unknown): RequestRecord | undefined {
    const data = deserializeStored(keyv, raw);
    if (data instanceof Promise) throw new TypeError('surefetch: memoryStore needs a synchronous keyv deserializer');
    // Expiry is the map's call (it already hid expired entries), so no clock check here.
    return checkDecoded(data, Number.NEGATIVE_INFINITY)?.record;
  }

  return boundedByItself({
    backend: 'memory',
    keyv,
    async claim(record: RequestRecord, ttlMs: number, options?: StoreCallOptions): Promise<ClaimResult> {
      assertOpen('claim', options);
      assertTtl(ttlMs);
      const raw = await encodeRecord(keyv, record, clock.now() + ttlMs);
      const key = keyvKey(keyv, record.scope);
      // From here to the return, no await: the check and the write are one step.
      const existing = decodeNow(map.live(key));
      if (existing !== undefined) return { claimed: false, existing };
      map.set(key, raw, ttlMs);
      return { claimed: true };
    },
    async get(scope: string, options?: StoreCallOptions): Promise<RequestRecord | undefined> {
      assertOpen('get', options);
      return decodeNow(map.get(keyvKey(keyv, scope)));
    },
    async update(next: RequestRecord, expectedVersion: number, ttlMs: number, options?: StoreCallOptions): Promise<boolean> {
      assertOpen('update', options);
      assertTtl(ttlMs);
      assertVersionAdvances(next, expectedVersion);
      const raw = await encodeRecord(keyv, next, clock.now() + ttlMs);
      const key = keyvKey(keyv, next.scope);
      const current = decodeNow(map.live(key));
      if (current?.version !== expectedVersion) return false;
      map.set(key, raw, ttlMs);
      return true;
    },
    async delete(scope: string, options?: StoreCallOptions): Promise<void> {
      assertOpen('delete', options);
      await keyv.delete(scope);
    },
    async markAlive(owner: string, ttlMs: number, options?: StoreCallOptions): Promise<void> {
      assertOpen('markAlive', options);
      assertTtl(ttlMs);
      map.set(keyvKey(keyv, aliveScope(owner)), true, ttlMs);
    },
    async isAlive(owner: string, options?: StoreCallOptions): Promise<boolean> {
      assertOpen('isAlive', options);
      return map.live(keyvKey(keyv, aliveScope(owner))) !== undefined;
    },
    async close(): Promise<void> {
      closed = true;
      map.clear();
    },
  });
}
