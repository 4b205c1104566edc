/**
 * Windows opened without a probe: once a server's reset proved on time (a probe right after it
 * was accepted with a fresh budget), the sends of a new window go at once up to the limit; a
 * window that then proves late (refused, or still counting the old window) brings the probe
 * back for good. Run against both budget stores, then end to end against a real server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AcquireRequest, SettleInput, Turn } from '../src/rate-limit/budget.js';
import { createMemoryBudgetStore, type BudgetStore } from '../src/rate-limit/budget-store.js';
import { rateLimit } from '../src/rate-limit/middleware.js';
import { call, pool } from './rate-limit-harness.js';
import { startRateLimitServer, type RateLimitServer, type RateLimitServerOptions, type ServerLogEntry } from './rate-limit-server.js';
import { freshRedisBudget, suiteRedisClient, turnAt } from './support/budget-turn.js';
import { redisForTests } from './support/services.js';

const T = 1_800_000_000_000;
const LEASE = 5000;
const ask: AcquireRequest = { scopes: [''], endpoint: 'e1', softPartitions: false, maxHoldMs: 60_000, probeLeaseMs: LEASE, probeIntervalMs: 1000 };
const ok = (turn: Turn, remaining: number, resetAt: number): SettleInput => ({
  turn,
  endpoint: 'e1',
  status: 200,
  lessons: [{ scope: '', budget: { remaining, resetAt, limit: 3 } }],
  probeIntervalMs: 1000,
});
const refused = (turn: Turn, until: number): SettleInput => ({
  turn,
  endpoint: 'e1',
  status: 429,
  lessons: [{ scope: '', pause: { until, source: 'retry-after', fallbackMs: 1000, maxFallbackMs: 4000 } }],
  probeIntervalMs: 1000,
});

const go = (store: BudgetStore, now: number): Promise<Turn> => turnAt(store, now, ask);

function trustBehaviour(makeStore: () => Promise<BudgetStore>): void {
  // First contact spends the window of 3; the probe of the reset at T + 1000 is accepted with
  // a fresh budget, and the window is spent again: resets are proved on time.
  const proved = async (): Promise<BudgetStore> => {
    const store = await makeStore();
    await store.settle(T + 5, ok(await go(store, T), 0, T + 1000));
    const probe = await go(store, T + 1000);
    expect(probe.probe).toBe(true);
    expect(await store.acquire(T + 1001, ask)).toMatchObject({ go: false, reason: 'probe' });
    await store.settle(T + 1010, ok(probe, 2, T + 2010));
    await store.settle(T + 1012, ok(await go(store, T + 1011), 1, T + 2010));
    await store.settle(T + 1013, ok(await go(store, T + 1012), 0, T + 2010));
    return store;
  };

  it('once a reset proved on time, opens the next window without a probe: the limit less the sends in flight go, then the rest waits for the first answer', async () => {
    const store = await makeStore();
    await store.settle(T + 5, ok(await go(store, T), 0, T + 1000));
    const probe = await go(store, T + 1000);
    await store.settle(T + 1010, ok(probe, 2, T + 2010));
    await store.settle(T + 1012, ok(await go(store, T + 1011), 1, T + 2010));
    const carried = await go(store, T + 1012); // still in flight at the reset
    const first = await go(store, T + 2010);
    const second = await go(store, T + 2010);
    expect([first.probe, second.probe]).toEqual([false, false]);
    expect(await store.acquire(T + 2011, ask)).toMatchObject({ go: false, reason: 'probe' });
    await store.settle(T + 2015, ok(carried, 0, T + 2010));
    await store.settle(T + 2020, ok(first, 1, T + 3020));
    // Three counted in the window (the carried send among them): spent until its reset.
    expect(await store.acquire(T + 2021, ask)).toMatchObject({ go: false, reason: 'exhausted', until: T + 3020 });
    await store.settle(T + 2022, ok(second, 0, T + 3020));
    expect((await go(store, T + 3020)).probe).toBe(false);
  });

  it('probes every window again once a window opened without a probe was refused', async () => {
    const store = await proved();
    const blind = await go(store, T + 2010);
    expect(blind.probe).toBe(false);
    await store.settle(T + 2015, refused(blind, T + 3000));
    // The pause's end is probed and proves nothing; so is every later reset.
    const afterPause = await go(store, T + 3000);
    expect(afterPause.probe).toBe(true);
    await store.settle(T + 3010, ok(afterPause, 0, T + 4010));
    const probe = await go(store, T + 4010);
    expect(probe.probe).toBe(true);
    await store.settle(T + 4020, ok(probe, 0, T + 5020));
    expect((await go(store, T + 5020)).probe).toBe(true);
  });

  it('probes every window again once a window opened without a probe still counted the old window', async () => {
    const store = await proved();
    const blind = await go(store, T + 2010);
    // The server still counts the 3 sends of the window before: it has not rolled over.
    await store.settle(T + 2015, ok(blind, 0, T + 2500));
    const probe = await go(store, T + 2500);
    expect(probe.probe).toBe(true);
    await store.settle(T + 2510, ok(probe, 0, T + 3510));
    expect((await go(store, T + 3510)).probe).toBe(true);
  });

  it('does not trust a reset whose probe was refused, nor the end of the pause that followed', async () => {
    const store = await makeStore();
    await store.settle(T + 5, ok(await go(store, T), 0, T + 1000));
    const late = await go(store, T + 1000);
    await store.settle(T + 1005, refused(late, T + 2000));
    const afterPause = await go(store, T + 2000);
    await store.settle(T + 2010, ok(afterPause, 2, T + 3010)); // a fresh window, but after a pause
    expect((await go(store, T + 3010)).probe).toBe(true);
  });

  it('probes after all when a send of a window opened without a probe gets no answer', async () => {
    const store = await proved();
    const lost = await go(store, T + 2010);
    await store.settle(T + 2015, { turn: lost, endpoint: 'e1', lessons: [], probeIntervalMs: 1000 });
    const probe = await go(store, T + 2016);
    expect(probe.probe).toBe(true);
    expect(await store.acquire(T + 2017, ask)).toMatchObject({ go: false, reason: 'probe' });
  });
}

describe('reset trust (in memory)', () => {
  trustBehaviour(() => Promise.resolve(createMemoryBudgetStore()));
});

const redis = await redisForTests();
describe.skipIf(redis.skipReason !== undefined)('reset trust (Redis)', () => {
  const client = suiteRedisClient(redis.url ?? '');
  let counter = 0;
  trustBehaviour(async () => {
    return freshRedisBudget(client(), `surefetch-test:reset-trust:${process.pid}:${Date.now()}:${counter++}`);
  });
});

// The server's own windows (each opens at the first request after the last one ended).
function serverWindows(log: readonly ServerLogEntry[], windowMs: number): ServerLogEntry[][] {
  const windows: ServerLogEntry[][] = [];
  let start = -Infinity;
  for (const entry of log) {
    if (entry.status === 200 && entry.time >= start + windowMs) {
      start = entry.time;
      windows.push([]);
    }
    windows.at(-1)?.push(entry);
  }
  return windows;
}

describe('reset trust against a real server', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  });
  const setup = async (options: RateLimitServerOptions): Promise<{ api: RateLimitServer; limit: ReturnType<typeof rateLimit> }> => {
    const api = await startRateLimitServer(options);
    const limit = rateLimit();
    cleanups.push(() => api.close(), () => limit.close());
    return { api, limit };
  };

  it('a server whose resets come on time: from the third window on, its sends go together, without a probe round trip', async () => {
    // Each answer takes 80 ms: a probe holds the second send of its window back that long.
    const { api, limit } = await setup({ limit: 5, windowMs: 1000, latencyMs: 80 });
    const statuses = await pool(25, 5, () => call(limit, `${api.url}/v1/orders/list`));
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(api.tooManyRequests()).toBe(0);
    const windows = serverWindows(api.log, 1000);
    expect(windows.map((window) => window.length)).toEqual([5, 5, 5, 5, 5]);
    const secondAfterMs = windows.map((window) => window[1]!.time - window[0]!.time);
    // The reset opening the second window is probed: that proves it.
    expect(secondAfterMs[1]).toBeGreaterThanOrEqual(75);
    for (const window of windows.slice(2)) expect(window.at(-1)!.time - window[0]!.time).toBeLessThan(60);
  });

  it('a server whose window does not roll over at the announced reset: every reset stays probed, one refused send per window at most', async () => {
    // Announces a reset 1 s after the window opens; the window really lasts 1.3 s.
    const { api, limit } = await setup({ limit: 3, windowMs: 1300, resetEarlyMs: 300 });
    const statuses = await pool(12, 3, () => call(limit, `${api.url}/v1/orders/list`));
    expect(statuses.every((status) => status === 200)).toBe(true);
    const windows = serverWindows(api.log, 1300);
    expect(windows).toHaveLength(4);
    for (const window of windows) expect(window.filter((entry) => entry.status === 429).length).toBeLessThanOrEqual(1);
    expect(api.tooManyRequests()).toBeGreaterThanOrEqual(1); // the late reset was met
  }, 15_000);
});
