import type { RequestStore } from '../store/request-store.js';
import type { ExistenceCheck } from './existence-check-contract.js';

/** Options of {@link idempotency}. */
export interface IdempotencyOptions {
  /** Where request records live; use `redisStore`/`postgresStore` when re-runs may land in another process. @default memoryStore() */
  readonly store?: RequestStore;
  /**
   * Longest wait for one operation of a `store` of your own (the built-in stores bound theirs with
   * `operationTimeoutMs`; in a copy of one, the operations you replace are yours). One that does
   * not answer within it, or fails with an error of its own, fails the call with a
   * `StoreUnavailableError` (`backend: 'custom'`, the store's error as `cause`, a URL's password
   * masked). Before the create is sent, the caller's abort is honoured at once whether or not the
   * store listens to its signal, and nothing is sent while the record is in doubt; once it is out,
   * the call first records how it ended, within this bound. `Infinity` or 0: no bound.
   * @default 2000
   */
  readonly storeTimeoutMs?: number;
  /** How long a record is kept: re-runs later than this are new calls. @default 86400000 (24 h) */
  readonly ttlMs?: number;
  /**
   * How long a pending claim is honoured without renewal before another worker may take it over
   * (its worker is presumed dead). A live call renews it every third of it, however long it runs,
   * so this only bounds how soon a crashed worker's scope can be re-run on a store without
   * liveness marks (`ownerAliveMs` is sooner). Keep it well above the clock skew between workers.
   * @default 30000
   */
  readonly leaseMs?: number;
  /**
   * How long this process's liveness mark lasts unrenewed (renewed every third of it while calls
   * run, judged by the store's clock). A claim whose worker's mark lapsed (crashed, or frozen
   * that long) is taken over at once, its lease notwithstanding. Keep it well above your longest
   * event-loop stall (a process that stalls past it loses its claims: its next record write
   * fails and it sends nothing more); raise it for workers that run long synchronous work.
   * @default 2000
   */
  readonly ownerAliveMs?: number;
  /** Header carrying the client request id, for APIs that honour an idempotency key (e.g. `Idempotency-Key`). @default undefined */
  readonly keyHeader?: string;
  /** Looks for the resource of an ambiguous attempt before any re-send. @default undefined (fail closed) */
  readonly existenceCheck?: ExistenceCheck;
  /** How long a call waits for another worker holding its scope before `IDEMPOTENCY_IN_PROGRESS`. @default 0 */
  readonly waitForOwnerMs?: number;
  /** Poll interval while waiting for another worker. @default 250 */
  readonly pollMs?: number;
  /**
   * Largest response body stored for replay. A larger success is stored with its status and the
   * reason only, and a re-run gets `REPLAY_UNAVAILABLE` saying so (nothing is sent again). Every
   * store keeps bodies of this size (Redis and PostgreSQL hold values far larger).
   * @default 8388608 (8 MiB)
   */
  readonly maxStoredBodyBytes?: number;
  /**
   * Refuse a non-idempotent call (a create) that has no `idempotencyScope`, with an
   * `IdempotencyError` `SCOPE_REQUIRED` before anything is sent, instead of sending it without a
   * request record. Turn it on where a missing scope is a bug, e.g. when the scope travels through
   * a client that may drop per-call options.
   * @default false
   */
  readonly requireScope?: boolean;
  /**
   * Statuses by which a gateway says it gave up waiting while the server behind it may still act
   * on the create: such an answer counts as a send without an answer, like a timed-out attempt
   * (see `LookupOptions.requestLifetimeMs`), not as an answered failure. 504 is a gateway's
   * timeout, 524 Cloudflare's. Behind Heroku's router, whose timeout answers 503 while the dyno
   * runs on, add 503. A status that names a time to come back (`Retry-After`) is a wait, which
   * says the request was not processed, and is re-sent as such: it is not counted here.
   * @default [504, 524]
   */
  readonly gatewayTimeoutStatuses?: readonly number[];
}

/** The defaults of {@link IdempotencyOptions}. @internal */
export const defaults = Object.freeze({ storeTimeoutMs: 2000, ttlMs: 86_400_000, leaseMs: 30_000, ownerAliveMs: 2000, waitForOwnerMs: 0, pollMs: 250, maxStoredBodyBytes: 8_388_608, gatewayTimeoutStatuses: Object.freeze([504, 524]) });

