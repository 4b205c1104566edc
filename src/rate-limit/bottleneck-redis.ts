import Bottleneck from 'bottleneck';
import type { Redis } from 'ioredis';
import { applyRedis7Shim } from './redis7-shim.js';
import { bounded } from './bounded.js';

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
      // QUIT waits for a connection that may never come; a client that is not ready is dropped,
      // and so is one whose QUIT gets no answer (a frozen Redis) within the grace.
      const flush = client.status === 'ready';
      if (flush) {
        const quit = bounded(Promise.resolve(connection.disconnect(true)), QUIT_GRACE_MS, () => new Error('QUIT got no answer'));
        if (await quit.then(() => true, () => false)) return;
      }
      await connection.disconnect(false).catch(() => undefined);
    },
  };
}

const QUIT_GRACE_MS = 1000;
