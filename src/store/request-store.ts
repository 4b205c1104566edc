import type { Keyv } from 'keyv';
import type { Clock } from '../core/clock.js';
import type { RequestRecord } from './record.js';

/** The answer of {@link RequestStore.claim}: either this caller created the record, or one already existed. */
export type ClaimResult =
  | {
      /** `true`: this caller created the record. */
      readonly claimed: true;
    }
  | {
      /** `false`: a live record already existed for the scope. */
      readonly claimed: false;
      /** The record that was already there. */
      readonly existing: RequestRecord;
    };

/**
 * Per-operation options of a {@link RequestStore} method.
 *
 * @example
 * ```ts
 * await store.get(scope, { signal: AbortSignal.timeout(500) });
 * ```
 */
export interface StoreCallOptions {
  /**
   * The caller's signal: when it aborts, the operation rejects at once with its reason (the
   * backend may still complete a write already on the wire). @default undefined
   */
  readonly signal?: AbortSignal;
}

/**
 * Durable storage of {@link RequestRecord}s, keyed by scope. Every backend keeps its records in
 * a keyv instance (`store.keyv.get(scope)` reads the same record) and performs the atomic steps
 * (`claim`, `update`) on the backend's own client. A record past its TTL counts as absent
 * everywhere, including in `claim`.
 *
 * Every method that cannot reach the backend within `operationTimeoutMs` rejects with a
 * `StoreUnavailableError`; none of them ever hangs, even on a backend that accepts connections and
 * never answers, and each rejects at once with the reason of `options.signal` when it aborts. An
 * operation that timed out may still complete on the backend later (a write already on the wire
 * cannot be recalled). `close()` too is bounded: it gives pending work `operationTimeoutMs`, then
 * destroys its connections, so a frozen backend never keeps the process alive.
 *
 * @example
 * ```ts
 * const store = memoryStore();
 * const first = await store.claim(record, 86_400_000);
 * if (!first.claimed) console.log('earlier run found:', first.existing.state);
 * ```
 */
export interface RequestStore {
  /** Atomically creates the record if no live record exists for its scope. */
  claim(record: RequestRecord, ttlMs: number, options?: StoreCallOptions): Promise<ClaimResult>;
  /** The live record of a scope, or `undefined`. */
  get(scope: string, options?: StoreCallOptions): Promise<RequestRecord | undefined>;
  /**
   * Compare-and-set: writes `next` (and a fresh TTL) only if the stored record still has version
   * `expectedVersion`. `next.version` must be greater than `expectedVersion`. Resolves `false`
   * when the record changed, expired or was deleted meanwhile.
   */
  update(next: RequestRecord, expectedVersion: number, ttlMs: number, options?: StoreCallOptions): Promise<boolean>;
  /** Removes the record of a scope, if any. */
  delete(scope: string, options?: StoreCallOptions): Promise<void>;
  /**
   * Writes (or renews) the liveness mark of `owner`, a worker process holding claims, to lapse
   * `ttlMs` after this write as the backend's own clock counts it (Redis `PX`, PostgreSQL
   * `clock_timestamp()`, the memory store's clock), so clock skew between workers never makes a
   * live owner look dead. Optional: without it (and {@link isAlive}) a crashed worker's claims
   * are taken over only when their lease passes.
   */
  markAlive?(owner: string, ttlMs: number, options?: StoreCallOptions): Promise<void>;
  /** Whether `owner`'s liveness mark exists and has not lapsed, by the backend's own clock. */
  isAlive?(owner: string, options?: StoreCallOptions): Promise<boolean>;
  /** Releases what the store created (connections, pools), within a bound even on a frozen backend. Later calls reject. */
  close(): Promise<void>;
}

/** A {@link RequestStore} that exposes the keyv instance holding its records. */
export interface KeyvRequestStore extends RequestStore {
  /** Backend name, as in errors: `memory`, `redis`, `postgres`. */
  readonly backend: string;
  /** The keyv instance the records live in; `keyv.get(scope)` reads a record. */
  readonly keyv: Keyv;
}

/** Options every backend shares. */
export interface StoreBaseOptions {
  /**
   * Upper bound of each store operation, connecting included. Past it the operation rejects
   * with a `StoreUnavailableError`.
   * @default 2000
   */
  readonly operationTimeoutMs?: number;
  /**
   * Time source: judges record expiry where the store does it itself (memory, SQL) and times
   * operations out. keyv's own reads judge expiry on `Date.now()`, so inject a clock only in tests.
   * @default systemClock
   */
  readonly clock?: Clock;
}

/**
 * The scope under which a store keeps `owner`'s liveness mark, beside the request records
 * (no caller scope starts with `~alive:` by accident; the idempotency layer's own ones start with `~`).
 *
 * @example
 * ```ts
 * aliveScope('3f2a…'); // '~alive:3f2a…'
 * ```
 */
export function aliveScope(owner: string): string {
  return `~alive:${owner}`;
}

/** Defaults of {@link StoreBaseOptions}. */
export const storeDefaults = Object.freeze({ operationTimeoutMs: 2000, namespace: 'surefetch' });

/**
 * Throws a `RangeError` unless `ttlMs` is a positive safe integer (Redis `PX` needs one).
 *
 * @example
 * ```ts
 * assertTtl(86_400_000);
 * ```
 */
export function assertTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`surefetch: ttlMs must be a positive integer of milliseconds, got ${String(ttlMs)}`);
  }
}

/**
 * Throws a `RangeError` unless a compare-and-set moves the version forward, which is what
 * keeps two writers from both succeeding against the same old version.
 *
 * @example
 * ```ts
 * assertVersionAdvances(next, 3); // next.version must be 4 or more
 * ```
 */
export function assertVersionAdvances(next: RequestRecord, expectedVersion: number): void {
  if (!Number.isSafeInteger(expectedVersion) || next.version <= expectedVersion) {
    throw new RangeError(
      `surefetch: update needs next.version (${String(next.version)}) greater than expectedVersion (${String(expectedVersion)})`,
    );
  }
}
