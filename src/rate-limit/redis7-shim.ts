import type Bottleneck from 'bottleneck';

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
 * error; node_modules and bottleneck's prototypes are left untouched. Idempotent. Duck-typed
 * (no `instanceof Bottleneck`), so the root entry need not load bottleneck's full build.
 *
 * @param target - a limiter's connection, or a clustered limiter (its `connection` is used)
 * @example
 * ```ts
 * const limiter = new Bottleneck({ id: 'my-api', datastore: 'ioredis', clientOptions: { host: '127.0.0.1' } });
 * applyRedis7Shim(limiter);
 * ```
 */
export function applyRedis7Shim(target: Bottleneck | Bottleneck.IORedisConnection | Bottleneck.RedisConnection): void {
  const own = target as Partial<ScriptConnection> & { connection?: unknown };
  const candidate = (typeof own.__scriptFn__ === 'function' ? own : own.connection) as Partial<ScriptConnection> | null | undefined;
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
