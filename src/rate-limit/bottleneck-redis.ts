import Bottleneck from 'bottleneck';
import type { Redis } from 'ioredis';

/** Where a shared limiter keeps its state: a Redis URL, or an ioredis client to duplicate. */
export type RedisOption = RedisUrlOption | RedisClientOption;

/** Connect to Redis by URL. */
export interface RedisUrlOption {
  /** E.g. `redis://127.0.0.1:6379`. */
  readonly url: string;
}

/** Use an ioredis client's settings; it is duplicated, never quit by surefetch. */
export interface RedisClientOption {
  /** A client of ioredis 5 or 6. */
  readonly client: Redis;
}

/** The Redis connections one `rateLimit` middleware opened; it owns and closes them. */
export interface RedisLink {
  /** Runs the budget script (and bottleneck's scripts). */
  readonly client: Redis;
  /** bottleneck's connection (the client plus a subscriber), shared by every limiter. */
  readonly connection: Bottleneck.IORedisConnection;
  /** Quits both clients. */
  close(): Promise<void>;
}

/**
 * Opens the Redis connections for clustered limiters. A given client is duplicated, so the
 * caller's client is never quit by surefetch. bottleneck's connection gets the Redis 7 shim.
 * Only ioredis is supported: bottleneck's `datastore: 'redis'` hangs with node-redis 4+.
 *
 * @example
 * ```ts
 * const link = await connectRedis({ url: 'redis://127.0.0.1:6379' });
 * await link.close();
 * ```
 */
export async function connectRedis(option: RedisOption): Promise<RedisLink> {
  const { Redis: RedisClient } = await import('ioredis');
  const client = 'url' in option ? new RedisClient(option.url, { maxRetriesPerRequest: 2 }) : option.client.duplicate();
  const connection = new Bottleneck.IORedisConnection({ client, Redis: RedisClient } as Bottleneck.IORedisConnectionOptions);
  applyRedis7Shim(connection);
  return {
    client,
    connection,
    close: async (): Promise<void> => {
      // QUIT waits for a connection that may never come; a client that is not ready is dropped.
      const flush = client.status === 'ready';
      await connection.disconnect(flush).catch(() => connection.disconnect(false));
    },
  };
}

interface ScriptConnection {
  __scriptFn__(name: string): (...args: unknown[]) => unknown;
  __surefetchRedis7Shim?: true;
}

type ScriptCallback = (error: unknown, replies: unknown) => void;

const SELF_HEALING = /^ERR (SETTINGS_KEY_NOT_FOUND|UNKNOWN_CLIENT)\b/;

/**
 * Makes bottleneck 2.19.5's self-healing work on Redis 7+. Redis 7 prefixes the errors its Lua
 * scripts raise with `ERR `, so bottleneck no longer recognizes `SETTINGS_KEY_NOT_FOUND` (its
 * keys expired or were flushed) or `UNKNOWN_CLIENT` (its registration expired), and every
 * later job rejects instead of re-initializing (upstream issues #205, #212, #219; fix PR #215
 * never merged). This strips the prefix on one connection object, before bottleneck reads the
 * error; node_modules and bottleneck's prototypes are left untouched. Idempotent.
 *
 * @param target - a limiter's connection, or a clustered limiter (its `connection` is used)
 * @example
 * ```ts
 * const limiter = new Bottleneck({ id: 'my-api', datastore: 'ioredis', clientOptions: { host: '127.0.0.1' } });
 * applyRedis7Shim(limiter);
 * ```
 */
export function applyRedis7Shim(target: Bottleneck | Bottleneck.IORedisConnection | Bottleneck.RedisConnection): void {
  const candidate = (target instanceof Bottleneck ? (target as Bottleneck & { connection?: unknown }).connection : target) as
    | Partial<ScriptConnection>
    | null
    | undefined;
  if (candidate === undefined || candidate === null || typeof candidate.__scriptFn__ !== 'function' || candidate.__surefetchRedis7Shim) return;
  const connection = candidate as ScriptConnection;
  const original = connection.__scriptFn__.bind(connection);
  connection.__scriptFn__ = (name: string) => {
    const run = original(name);
    return (...args: unknown[]) => {
      const callback = args[args.length - 1];
      if (typeof callback === 'function') {
        args[args.length - 1] = ((error, replies) => {
          if (error instanceof Error) {
            const match = SELF_HEALING.exec(error.message);
            if (match?.[1] !== undefined) error.message = match[1];
          }
          (callback as ScriptCallback)(error, replies);
        }) satisfies ScriptCallback;
      }
      return run(...args);
    };
  };
  connection.__surefetchRedis7Shim = true;
}
