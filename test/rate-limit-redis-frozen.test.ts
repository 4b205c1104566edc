/**
 * rateLimit over a Redis that freezes (accepts connections and writes, never answers: a
 * partition, not a refusal). Every call must reject with RateLimiterUnavailableError within
 * `operationTimeoutMs`, having sent nothing, and `close()` must not wait for the lost Redis.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { rateLimitRedis } from '../src/rate-limit-redis.js';
import { RateLimiterUnavailableError } from '../src/rate-limit/errors.js';
import { rateLimit, type RateLimitMiddleware } from '../src/rate-limit/middleware.js';
import { call } from './rate-limit-harness.js';
import { startRateLimitServer, type RateLimitServer } from './rate-limit-server.js';
import { startFreezingProxy, type FreezingProxy } from './support/freezing-proxy.js';
import { redisForTests } from './support/services.js';

const redis = await redisForTests();

describe.skipIf(redis.url === undefined)('rateLimit over a Redis that freezes', () => {
  let api: RateLimitServer | undefined;
  let proxy: FreezingProxy | undefined;
  const opened: RateLimitMiddleware[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((middleware) => middleware.close()));
    await api?.close();
    await proxy?.close();
  });
  const limiter = (operationTimeoutMs: number): RateLimitMiddleware => {
    const middleware = rateLimit({ redis: rateLimitRedis({ url: `redis://127.0.0.1:${proxy!.port}` }), id: `frozen:${randomUUID()}`, operationTimeoutMs });
    opened.push(middleware);
    return middleware;
  };
  const rejectsWithin = async (middleware: RateLimitMiddleware, url: string, boundMs: number): Promise<void> => {
    const started = Date.now();
    const error = await call(middleware, url).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimiterUnavailableError);
    expect((error as RateLimiterUnavailableError).code).toBe('RATE_LIMITER_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(boundMs);
  };

  it('rejects every call within operationTimeoutMs, sending nothing, once the Redis it used freezes; and for a limiter that first connects to it frozen', async () => {
    api = await startRateLimitServer();
    proxy = await startFreezingProxy(Number(new URL(redis.url!).port));
    const used = limiter(300);
    expect(await call(used, `${api.url}/a`)).toBe(200);
    proxy.freeze();
    await rejectsWithin(used, `${api.url}/b`, 2000);
    // The write that never came back holds this process's queue: the next call is bounded too.
    await rejectsWithin(used, `${api.url}/c`, 2000);
    await rejectsWithin(limiter(300), `${api.url}/d`, 2000);
    expect(api.log.map((entry) => entry.path)).toEqual(['/a']);
  });

  it('closes without waiting for a frozen Redis', async () => {
    api = await startRateLimitServer();
    proxy = await startFreezingProxy(Number(new URL(redis.url!).port));
    const middleware = limiter(300);
    expect(await call(middleware, `${api.url}/a`)).toBe(200);
    proxy.freeze();
    const started = Date.now();
    await opened.splice(0)[0]!.close();
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
