import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireStep, emptyBudget, settleStep, type AcquireResult, type SettleInput } from '../src/rate-limit/budget.js';
import { createRedisBudgetStore } from '../src/rate-limit/budget-redis.js';
import { createMemoryBudgetStore, type BudgetStore } from '../src/rate-limit/budget-store.js';
import { redisForTests } from './support/services.js';

const T = 1_800_000_000_000;
const LEASE = 5000;
const ok = (epoch: number, budget?: SettleInput['budget'], probe = false): SettleInput => ({
  probe,
  epoch,
  answered: true,
  success: true,
  ...(budget === undefined ? {} : { budget }),
});
const refused = (epoch: number, until?: number, probe = false): SettleInput => ({
  probe,
  epoch,
  answered: true,
  success: false,
  pause: { ...(until === undefined ? {} : { until }), source: until === undefined ? 'fallback' : 'retry-after', fallbackMs: 1000, maxFallbackMs: 4000 },
});

async function go(store: BudgetStore, now: number): Promise<Extract<AcquireResult, { go: true }>> {
  const result = await store.acquire(now, LEASE);
  if (!result.go) throw new Error(`expected to go at ${now}, told to wait for ${result.reason} until ${result.until}`);
  return result;
}

// One behaviour table, run against the in-memory store and the Redis Lua transcription.
function budgetBehaviour(makeStore: () => Promise<BudgetStore>): void {
  // A store past first contact: its probe was answered without a word about the budget.
  const opened = async (): Promise<BudgetStore> => {
    const store = await makeStore();
    const probe = await go(store, T - 100);
    await store.settle(T - 99, ok(probe.epoch, undefined, true));
    return store;
  };

  it('at first contact lets one probe go alone, then everyone while nothing is known', async () => {
    const store = await makeStore();
    const probe = await go(store, T);
    expect(probe.probe).toBe(true);
    expect(await store.acquire(T + 1, LEASE)).toMatchObject({ go: false, reason: 'probe' });
    await store.settle(T + 5, ok(probe.epoch, undefined, true));
    for (let i = 0; i < 20; i += 1) expect((await store.acquire(T + 6, LEASE)).go).toBe(true);
  });

  it('counts the sends still in flight when it first learns the budget, then holds at zero until the reset', async () => {
    const store = await opened();
    const turns = [];
    for (let i = 0; i < 4; i += 1) turns.push(await go(store, T));
    // The server counted 1 of the 4 in flight: limit 10 - 5 sent (the first-contact probe and
    // these 4) = 5 left.
    await store.settle(T + 5, ok(turns[0]!.epoch, { remaining: 9, resetAt: T + 1000, limit: 10 }));
    for (let i = 0; i < 5; i += 1) await go(store, T + 10);
    expect(await store.acquire(T + 10, LEASE)).toEqual({ go: false, until: T + 1000, reason: 'exhausted', source: 'ratelimit-remaining' });
  });

  it('keeps the earliest reset and the lowest remaining the server reports within a window', async () => {
    const store = await opened();
    const first = await go(store, T);
    await store.settle(T + 5, ok(first.epoch, { remaining: 5, resetAt: T + 1000 }));
    const second = await go(store, T + 10);
    await store.settle(T + 20, ok(second.epoch, { remaining: 1, resetAt: T + 1500 }));
    await go(store, T + 30);
    expect(await store.acquire(T + 30, LEASE)).toMatchObject({ go: false, until: T + 1000, reason: 'exhausted' });
  });

  it('ignores an answer settled late that reports an older, higher count (another worker was slow)', async () => {
    const store = await opened();
    const turns = [];
    for (let i = 0; i < 8; i += 1) turns.push(await go(store, T));
    await store.settle(T + 5, ok(turns[7]!.epoch, { remaining: 2, resetAt: T + 1000, limit: 10 }));
    // The answer to the first send, processed when 9 were left, is settled only now. Left: the
    // lower of the server's 2 and limit 10 - 9 sent (the probe and these 8) = 1.
    await store.settle(T + 9, ok(turns[0]!.epoch, { remaining: 9, resetAt: T + 1000, limit: 10 }));
    await go(store, T + 10);
    expect(await store.acquire(T + 10, LEASE)).toMatchObject({ go: false, reason: 'exhausted' });
  });

  it('after the reset lets one probe go alone, then opens the new window from its answer', async () => {
    const store = await opened();
    const first = await go(store, T);
    await store.settle(T + 5, ok(first.epoch, { remaining: 0, resetAt: T + 1000, limit: 3 }));
    const probe = await go(store, T + 1000);
    expect(probe.probe).toBe(true);
    expect(await store.acquire(T + 1001, LEASE)).toMatchObject({ go: false, reason: 'probe', until: T + 1000 + LEASE });
    await store.settle(T + 1010, ok(probe.epoch, { remaining: 2, resetAt: T + 2010, limit: 3 }, true));
    expect((await go(store, T + 1011)).probe).toBe(false);
    await go(store, T + 1011);
    expect(await store.acquire(T + 1012, LEASE)).toMatchObject({ go: false, reason: 'exhausted', until: T + 2010 });
  });

  it('ignores budget reports from sends of an earlier window', async () => {
    const store = await opened();
    const old = await go(store, T);
    const first = await go(store, T);
    await store.settle(T + 5, ok(first.epoch, { remaining: 0, resetAt: T + 1000, limit: 5 }));
    const probe = await go(store, T + 1000);
    await store.settle(T + 1005, ok(probe.epoch, { remaining: 4, resetAt: T + 2005, limit: 5 }, true));
    // The late answer from the old window (remaining 0) must not close the new one.
    await store.settle(T + 1006, ok(old.epoch, { remaining: 0, resetAt: T + 1900 }));
    expect((await store.acquire(T + 1007, LEASE)).go).toBe(true);
  });

  it('pauses everyone until the server time, and a later shorter reset does not shorten the pause', async () => {
    const store = await opened();
    const a = await go(store, T);
    const b = await go(store, T);
    expect(await store.settle(T + 5, refused(a.epoch, T + 3000))).toEqual({ pauseUntil: T + 3000, pauseSource: 'retry-after' });
    await store.settle(T + 6, ok(b.epoch, { remaining: 5, resetAt: T + 500 }));
    expect(await store.acquire(T + 600, LEASE)).toEqual({ go: false, until: T + 3000, reason: 'pause', source: 'retry-after' });
    expect(await store.pausedUntil(T + 600)).toEqual({ pauseUntil: T + 3000, pauseSource: 'retry-after' });
    expect((await go(store, T + 3000)).probe).toBe(true);
  });

  it('doubles the fallback pause on consecutive header-less refusals, capped, and forgets after a success', async () => {
    const store = await opened();
    let now = T;
    const pauses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const turn = await go(store, now);
      const { pauseUntil } = await store.settle(now, refused(turn.epoch, undefined, turn.probe));
      pauses.push(pauseUntil - now);
      now = pauseUntil;
    }
    expect(pauses).toEqual([1000, 2000, 4000, 4000]);
    const probe = await go(store, now);
    await store.settle(now, ok(probe.epoch, undefined, true));
    const turn = await go(store, now);
    expect((await store.settle(now, refused(turn.epoch, undefined, turn.probe))).pauseUntil - now).toBe(1000);
  });

  it('lets another send probe when the probe fails without an answer', async () => {
    const store = await opened();
    const first = await go(store, T);
    await store.settle(T + 5, ok(first.epoch, { remaining: 0, resetAt: T + 1000 }));
    const probe = await go(store, T + 1000);
    await store.settle(T + 1001, { probe: true, epoch: probe.epoch, answered: false, success: false });
    expect((await go(store, T + 1002)).probe).toBe(true);
  });
}

describe('budget (in memory)', () => {
  budgetBehaviour(() => Promise.resolve(createMemoryBudgetStore()));

  it('never goes below zero remaining or in flight, whatever the order of events', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('acquire' as const), dt: fc.nat(400) }),
      fc.record({ kind: fc.constant('settle' as const), dt: fc.nat(400), remaining: fc.option(fc.nat(20)), resetIn: fc.nat(2000), pause: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        let state = emptyBudget(T);
        let now = T;
        for (const step of ops) {
          now += step.dt;
          if (step.kind === 'acquire') state = acquireStep(state, now, LEASE).state;
          else {
            const budget = step.remaining === null ? undefined : { remaining: step.remaining, resetAt: now + step.resetIn };
            const input: SettleInput = { ...ok(state.epoch, budget), ...(step.pause ? { pause: { source: 'x', fallbackMs: 100, maxFallbackMs: 800 } } : {}) };
            state = settleStep(state, now, input).state;
          }
          expect(state.remaining).toBeGreaterThanOrEqual(-1);
          expect(state.inflight).toBeGreaterThanOrEqual(0);
          if (state.remaining >= 0) expect(state.resetAt).toBeGreaterThan(0);
        }
      }),
      { numRuns: 200 },
    );
  });
});

const redis = await redisForTests();
if (redis.skipReason !== undefined) console.warn(`[rate-limit-budget] Redis tests skipped: ${redis.skipReason}`);

describe.skipIf(redis.skipReason !== undefined)('budget (Redis Lua script)', () => {
  let client: Redis;
  let counter = 0;
  beforeAll(() => {
    client = new Redis(redis.url ?? '');
  });
  afterAll(async () => {
    await client.quit();
  });
  const makeStore = async (): Promise<BudgetStore> => {
    const key = `surefetch-test:budget:${process.pid}:${counter++}`;
    await client.del(key);
    return createRedisBudgetStore({ client, key, ttlMs: 60_000 });
  };

  budgetBehaviour(makeStore);

  it('answers exactly like the in-memory store for any sequence of events', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('acquire' as const), dt: fc.nat(300) }),
      fc.record({ kind: fc.constant('settle' as const), dt: fc.nat(300), remaining: fc.option(fc.nat(8)), resetIn: fc.nat(1500), limit: fc.nat(8), pause: fc.option(fc.nat(1500)), probe: fc.boolean() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const memory = createMemoryBudgetStore();
        const shared = await makeStore();
        let now = T;
        let epoch = 0;
        for (const step of ops) {
          now += step.dt;
          if (step.kind === 'acquire') {
            const [a, b] = [await memory.acquire(now, LEASE), await shared.acquire(now, LEASE)];
            expect(b).toEqual(a);
            if (a.go) epoch = a.epoch;
          } else {
            const input: SettleInput = {
              probe: step.probe,
              epoch,
              answered: true,
              success: step.pause === null,
              ...(step.remaining === null ? {} : { budget: { remaining: step.remaining, resetAt: now + step.resetIn, limit: step.limit } }),
              ...(step.pause === null ? {} : { pause: { ...(step.pause > 750 ? {} : { until: now + step.pause }), source: 'retry-after', fallbackMs: 100, maxFallbackMs: 800 } }),
            };
            expect(await shared.settle(now, input)).toEqual(await memory.settle(now, input));
          }
        }
        expect(await shared.snapshot()).toEqual(await memory.snapshot());
      }),
      { numRuns: 40 },
    );
  });

  it('probes first when its state vanished under a worker that used it (FLUSHALL, eviction)', async () => {
    const store = await makeStore();
    await go(store, T);
    const snapshot = await store.snapshot();
    expect(snapshot).toBeDefined();
    await client.del(`surefetch-test:budget:${process.pid}:${counter - 1}`);
    expect((await go(store, T + 10)).probe).toBe(true);
    expect(await store.acquire(T + 11, LEASE)).toMatchObject({ go: false, reason: 'probe' });
  });
});
