import type Bottleneck from 'bottleneck';
import LightBottleneck from 'bottleneck/light.js';
import type { RequestSpec } from '../core/types.js';
import { createServerClock, type ServerClock } from '../verdict/server-clock.js';
import { apiKeyOf } from './api-key.js';
import { createMemoryBudgetStore, type BudgetStore } from './budget-store.js';
import { isRateLimitCluster, type ClusterLink, type RateLimitCluster } from './cluster.js';
import { RateLimiterUnavailableError } from './errors.js';
import { applyRedis7Shim } from './redis7-shim.js';
import { bounded } from './bounded.js';

/** The limiter options of `rateLimit` (one limiter per API). */
export interface LimiterRegistryOptions {
  /** Most requests in flight per API (across every worker with `redis`); `null` for no cap. @default null */
  readonly maxConcurrent?: number | null;
  /** Least time between two request starts per API, in ms. @default 0 */
  readonly minTimeMs?: number;
  /** A Bottleneck to gate every request through, for every API, instead of one per API. */
  readonly limiter?: Bottleneck;
  /**
   * Share the budget, the pause and bottleneck's limits with every worker using this Redis:
   * `rateLimitRedis({ url })` from `surefetch/rate-limit-redis` (Node-only).
   */
  readonly redis?: RateLimitCluster;
  /** Prefix of every limiter id and Redis key. @default 'surefetch:rl' */
  readonly id?: string;
  /** Names the API a request belongs to. @default host + a hash of the request's credential */
  readonly key?: (request: RequestSpec) => string;
  /** Reads the credential of a request. @default see `credentialOf` */
  readonly credential?: (request: RequestSpec) => string | undefined;
  /** Idle time after which a shared budget is forgotten in Redis. @default 600000 */
  readonly ttlMs?: number;
  /**
   * Longest wait for Redis, per operation of the shared budget (connecting included) and when
   * closing. Beyond it the call rejects with `RateLimiterUnavailableError`, having sent nothing:
   * a Redis that freezes (accepts, never answers) fails calls fast instead of holding them.
   * @default 2000
   */
  readonly operationTimeoutMs?: number;
}

/** The limiter of one API: bottleneck for concurrency and spacing, the budget for the rate. */
export interface ApiLimiter {
  /** `<prefix>:<host>:<credential hash>`: safe to log, used as bottleneck id and Redis key. */
  readonly id: string;
  /**
   * Caps concurrency and spacing of sends (`maxConcurrent`, `minTimeMs`, a limiter of your own,
   * or Redis clustering). `undefined` when it would have nothing to enforce: bottleneck's local
   * datastore yields to a timer several times per job (about 2 ms per request) and its Redis one
   * costs three round trips per request, for no effect, so unconfigured limiters leave the pace
   * to the budget alone.
   */
  readonly bottleneck: Bottleneck | undefined;
  /** The shared budget, holds and pace, per scope. */
  readonly store: BudgetStore;
  /** The API's clock as measured from its `Date` headers (this process's own view). */
  readonly serverClock: ServerClock;
}

/** One {@link ApiLimiter} per API, created on first use. */
export interface LimiterRegistry {
  /** The limiter of the API `request` goes to; waits for Redis, not for bottleneck's `ready()`. */
  limiterFor(request: RequestSpec): Promise<ApiLimiter>;
  /** The limiter of `request`'s API once created (no await on the hot path); `undefined` before. */
  createdFor(request: RequestSpec): ApiLimiter | undefined;
  /** Disconnects every clustered limiter and the Redis connections this registry opened. */
  close(): Promise<void>;
}

/**
 * Creates the registry of per-API limiters of one `rateLimit` middleware.
 *
 * @example
 * ```ts
 * const registry = createLimiterRegistry({ redis: rateLimitRedis({ url: 'redis://127.0.0.1:6379' }) });
 * const { id, bottleneck, store } = await registry.limiterFor(ctx.request);
 * ```
 */
export function createLimiterRegistry(options: LimiterRegistryOptions = {}): LimiterRegistry {
  const { maxConcurrent = null, minTimeMs = 0, limiter: userLimiter, redis, id: prefix = 'surefetch:rl', ttlMs = 600_000, operationTimeoutMs = 2000 } = options;
  const keyOf = options.key ?? ((request: RequestSpec) => apiKeyOf(request, options.credential));
  // Nothing to cap: no bottleneck, whose per-send cost (timers locally, three round trips over
  // Redis) would enforce nothing.
  const idle = maxConcurrent === null && minTimeMs === 0;
  const limiters = new Map<string, Promise<ApiLimiter>>();
  // The limiters made, by API key (see createdFor).
  const created = new Map<string, ApiLimiter>();
  const owned: Bottleneck[] = [];
  let link: Promise<ClusterLink> | undefined;
  let closed = false;
  if (redis !== undefined && !isRateLimitCluster(redis)) {
    throw new TypeError("rateLimit({ redis }) takes rateLimitRedis({ url }) from 'surefetch/rate-limit-redis'");
  }
  if (userLimiter !== undefined) applyRedis7Shim(userLimiter);

  const create = async (id: string): Promise<ApiLimiter> => {
    if (redis === undefined) {
      const bottleneck = userLimiter ?? (idle ? undefined : own(new LightBottleneck({ maxConcurrent, minTime: minTimeMs })));
      return { id, bottleneck, store: createMemoryBudgetStore(), serverClock: createServerClock() };
    }
    if (link === undefined) {
      const connecting = redis.connect();
      const late = (): Error => new RateLimiterUnavailableError({ limiterId: id, reason: `Redis did not answer within ${operationTimeoutMs} ms` });
      link = bounded(connecting, operationTimeoutMs, late).catch((error: unknown) => {
        link = undefined;
        // A connection that comes after all is nobody's: close it rather than leak it.
        connecting.then((arrived) => arrived.close(), () => undefined);
        throw error instanceof RateLimiterUnavailableError ? error : new RateLimiterUnavailableError({ limiterId: id, reason: 'could not connect to Redis' }, { cause: error });
      });
    }
    const cluster = await link;
    const bottleneck = userLimiter ?? (idle ? undefined : own(cluster.bottleneck(id, { maxConcurrent, minTimeMs, ttlMs })));
    // `:v2`: the budget was a hash of the Lua script before; a new key never meets an old value.
    const store = unavailableOnError(cluster.budgetStore(`${id}:budget:v2`, ttlMs), id, operationTimeoutMs);
    return { id, bottleneck, store, serverClock: createServerClock() };
  };

  const own = (bottleneck: Bottleneck): Bottleneck => {
    // Errors of the heartbeat surface again on the next schedule(); do not crash on them here.
    bottleneck.on('error', () => undefined);
    owned.push(bottleneck);
    return bottleneck;
  };

  return {
    limiterFor(request: RequestSpec): Promise<ApiLimiter> {
      if (closed) return Promise.reject(new Error('this rateLimit middleware was closed'));
      const key = keyOf(request);
      const id = `${prefix}:${key}`;
      let limiter = limiters.get(id);
      if (limiter === undefined) {
        limiter = create(id);
        limiters.set(id, limiter);
        limiter.then(
          (made) => (closed ? undefined : created.set(key, made)),
          () => limiters.delete(id),
        );
      }
      return limiter;
    },
    createdFor(request: RequestSpec): ApiLimiter | undefined {
      // By the API's key alone (the prefix is the same for all): no name is built per send.
      return closed ? undefined : created.get(keyOf(request));
    },
    async close(): Promise<void> {
      closed = true;
      created.clear();
      await Promise.allSettled(limiters.values());
      // Neither a disconnect nor a QUIT waits for a frozen Redis longer than the bound.
      const closing = (work: unknown): Promise<unknown> => bounded(Promise.resolve(work), operationTimeoutMs, () => new Error('Redis did not answer')).catch(() => undefined);
      if (redis !== undefined) await Promise.allSettled(owned.map((bottleneck) => closing(bottleneck.disconnect())));
      limiters.clear();
      const opened = await link?.catch(() => undefined);
      if (opened !== undefined) await closing(opened.close());
    },
  };
}

// A Redis failure of the budget, or no answer within the bound, is reported as the limiter
// being unavailable (nothing sent).
function unavailableOnError(store: BudgetStore, limiterId: string, operationTimeoutMs: number): BudgetStore {
  const late = (): Error => new RateLimiterUnavailableError({ limiterId, reason: `Redis did not answer within ${operationTimeoutMs} ms` });
  const wrap =
    <A extends unknown[], R>(operation: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      bounded(operation(...args), operationTimeoutMs, late).catch((error: unknown) => {
        if (error instanceof RateLimiterUnavailableError) throw error;
        throw new RateLimiterUnavailableError({ limiterId, reason: 'its Redis command failed' }, { cause: error });
      });
  return {
    acquire: wrap(store.acquire.bind(store)),
    settle: wrap(store.settle.bind(store)),
    snapshot: wrap(store.snapshot.bind(store)),
  };
}
