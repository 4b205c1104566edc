import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import type { AcquireRequest, Turn } from '../../src/rate-limit/budget.js';
import { createRedisBudgetStore } from '../../src/rate-limit/budget-redis.js';
import type { BudgetStore } from '../../src/rate-limit/budget-store.js';

/** Asks `store` for a turn at `now` and returns it; throws, naming what the store said, when it is refused. */
export async function turnAt(store: BudgetStore, now: number, request: AcquireRequest): Promise<Turn> {
  const result = await store.acquire(now, request);
  if (!result.go) throw new Error(`expected to go at ${now}, told ${result.reason} until ${result.until}`);
  return result.turn;
}

/** A Redis client for the suite this is called in: connected before its tests, closed after. */
export function suiteRedisClient(url: string): () => Redis {
  let client: Redis | undefined;
  beforeAll(() => {
    client = new Redis(url);
  });
  afterAll(async () => {
    await client?.quit();
  });
  return () => {
    if (client === undefined) throw new Error('the suite has not started: its Redis client is not connected yet');
    return client;
  };
}

/** A Redis budget store on `key`, emptied first, kept a minute. */
export async function freshRedisBudget(client: Redis, key: string): Promise<BudgetStore> {
  await client.del(key);
  return createRedisBudgetStore({ client, key, ttlMs: 60_000 });
}
