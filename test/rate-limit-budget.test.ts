import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acquireStep, emptyBudget, settleStep, type AcquireRequest, type SettleInput, type Turn } from '../src/rate-limit/budget.js';
import { createRedisBudgetStore } from '../src/rate-limit/budget-redis.js';
import { createMemoryBudgetStore, type BudgetStore } from '../src/rate-limit/budget-store.js';
import { freshRedisBudget, suiteRedisClient, turnAt } from './support/budget-turn.js';
import { redisForTests } from './support/services.js';

const T = 1_800_000_000_000;
const LEASE = 5000;
const INTERVAL = 1000;
const ask = (endpoint = 'e1', extra: Partial<AcquireRequest> = {}): AcquireRequest => ({
  scopes: [''],
  endpoint,
  softPartitions: false,
  maxHoldMs: 60_000,
  probeLeaseMs: LEASE,
  probeIntervalMs: INTERVAL,
  ...extra,
});
const ok = (turn: Turn, budget?: { remaining: number; resetAt: number; limit?: number }, endpoint = 'e1', scope = ''): SettleInput => ({
  turn,
  endpoint,
  status: 200,
  lessons: budget === undefined ? [] : [{ scope, budget }],
  probeIntervalMs: INTERVAL,
});
const refused = (turn: Turn, until?: number, endpoint = 'e1', options: { scope?: string; timeOnly?: boolean } = {}): SettleInput => ({
  turn,
  endpoint,
  status: 429,
  lessons: [
    {
      scope: options.scope ?? '',
      pause: { ...(until === undefined ? {} : { until }), source: until === undefined ? 'fallback' : 'retry-after', timeOnly: options.timeOnly ?? false, fallbackMs: 1000, maxFallbackMs: 4000 },
    },
  ],
  probeIntervalMs: INTERVAL,
});

const go = (store: BudgetStore, now: number, request = ask()): Promise<Turn> => turnAt(store, now, request);

// One behaviour table, run against the in-memory store and the Redis one.
function budgetBehaviour(makeStore: () => Promise<BudgetStore>): void {
  // A store past first contact and its slow start: 64 answers told nothing of the budget.
  const opened = async (): Promise<BudgetStore> => {
    const store = await makeStore();
    for (let i = 0; i <= 64; i += 1) await store.settle(T - 99, ok(await go(store, T - 100)));
    return store;
  };

  it('at first contact lets one probe per endpoint go alone, then one more in flight per accepted answer', async () => {
    const store = await makeStore();
    const probe = await go(store, T);
    expect(probe.probe).toBe(true);
    expect(await store.acquire(T + 1, ask())).toMatchObject({ go: false, reason: 'probe' });
    const other = await go(store, T + 1, ask('e2')); // another endpoint probes too
    expect(other.probe).toBe(true);
    await store.settle(T + 5, ok(probe));
    await store.settle(T + 5, ok(other, undefined, 'e2'));
    // Two answers accepted: three in flight.
    for (let i = 0; i < 3; i += 1) await go(store, T + 6);
    expect(await store.acquire(T + 6, ask())).toMatchObject({ go: false, reason: 'probe' });
  });

  it('ends the slow start as soon as an answer states a budget, even a partition’s', async () => {
    const store = await makeStore();
    await store.settle(T + 1, { ...ok(await go(store, T)), lessons: [{ scope: 'p:core', budget: { remaining: 4000, resetAt: T + 3_600_000 } }] });
    for (let i = 0; i < 20; i += 1) await go(store, T + 2);
  });

  it('counts the sends still in flight when it first learns the budget, then holds at zero until the reset', async () => {
    const store = await opened();
    const turns = [];
    for (let i = 0; i < 4; i += 1) turns.push(await go(store, T));
    // The server counted 1 of the 4 in flight: 9 left less the 3 still in flight = 6.
    await store.settle(T + 5, ok(turns[0]!, { remaining: 9, resetAt: T + 1000 }));
    for (let i = 0; i < 6; i += 1) await go(store, T + 10);
    expect(await store.acquire(T + 10, ask())).toEqual({ go: false, until: T + 1000, reason: 'exhausted', source: 'ratelimit-remaining' });
  });

  it('with a known limit, counts every send of the window: limit - sent', async () => {
    const store = await makeStore();
    await store.settle(T + 1, ok(await go(store, T), { remaining: 9, resetAt: T + 1000, limit: 10 }));
    const turns = [];
    for (let i = 0; i < 4; i += 1) turns.push(await go(store, T + 2));
    // The server counted 2 of the 5 sent: limit 10 - 5 sent = 5 left (not its 8).
    await store.settle(T + 5, ok(turns[0]!, { remaining: 8, resetAt: T + 1000, limit: 10 }));
    for (let i = 0; i < 5; i += 1) await go(store, T + 10);
    expect(await store.acquire(T + 10, ask())).toMatchObject({ go: false, reason: 'exhausted' });
  });

  it('keeps the earliest reset and the lowest remaining the server reports within a window', async () => {
    const store = await opened();
    await store.settle(T + 5, ok(await go(store, T), { remaining: 5, resetAt: T + 1000 }));
    await store.settle(T + 20, ok(await go(store, T + 10), { remaining: 1, resetAt: T + 1500 }));
    await go(store, T + 30);
    expect(await store.acquire(T + 30, ask())).toMatchObject({ go: false, until: T + 1000, reason: 'exhausted' });
  });

  it('ignores an answer settled late that reports an older, higher count (another worker was slow)', async () => {
    const store = await opened();
    const turns = [];
    for (let i = 0; i < 3; i += 1) turns.push(await go(store, T));
    await store.settle(T + 5, ok(turns[2]!, { remaining: 5, resetAt: T + 1000 }));
    // Left: 5 less the 2 in flight = 3; the late answer's 9 does not raise it.
    await store.settle(T + 9, ok(turns[0]!, { remaining: 9, resetAt: T + 1000 }));
    for (let i = 0; i < 3; i += 1) await go(store, T + 10);
    expect(await store.acquire(T + 10, ask())).toMatchObject({ go: false, reason: 'exhausted' });
  });

  it('after the reset lets one probe go alone, then opens the new window from its answer', async () => {
    const store = await opened();
    await store.settle(T + 5, ok(await go(store, T), { remaining: 0, resetAt: T + 1000, limit: 3 }));
    const probe = await go(store, T + 1000);
    expect(probe.probe).toBe(true);
    expect(await store.acquire(T + 1001, ask())).toMatchObject({ go: false, reason: 'probe', until: T + 1000 + LEASE });
    await store.settle(T + 1010, ok(probe, { remaining: 2, resetAt: T + 2010, limit: 3 }));
    expect((await go(store, T + 1011)).probe).toBe(false);
    await go(store, T + 1011);
    expect(await store.acquire(T + 1012, ask())).toMatchObject({ go: false, reason: 'exhausted', until: T + 2010 });
  });

  it('ignores budget reports from sends of an earlier window', async () => {
    const store = await opened();
    const old = await go(store, T);
    await store.settle(T + 5, ok(await go(store, T), { remaining: 0, resetAt: T + 1000, limit: 5 }));
    const probe = await go(store, T + 1000);
    await store.settle(T + 1005, ok(probe, { remaining: 4, resetAt: T + 2005, limit: 5 }));
    await store.settle(T + 1006, ok(old, { remaining: 0, resetAt: T + 1900 }));
    expect((await store.acquire(T + 1007, ask())).go).toBe(true);
  });

  it('pauses everyone until the server time, and a later shorter reset does not shorten the pause', async () => {
    const store = await opened();
    const a = await go(store, T);
    const b = await go(store, T);
    expect(await store.settle(T + 5, refused(a, T + 3000))).toEqual({ pauseUntil: T + 3000, pauseSource: 'retry-after' });
    await store.settle(T + 6, ok(b, { remaining: 5, resetAt: T + 500 }));
    expect(await store.acquire(T + 600, ask('e2'))).toEqual({ go: false, until: T + 3000, reason: 'pause', source: 'retry-after' });
    expect((await go(store, T + 3000)).probe).toBe(true);
  });

  it('doubles the fallback pause on consecutive header-less refusals of one endpoint, capped, and forgets after a success', async () => {
    const store = await opened();
    let now = T;
    const pauses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const { pauseUntil } = await store.settle(now, refused(await go(store, now)));
      pauses.push(pauseUntil - now);
      now = pauseUntil;
    }
    expect(pauses).toEqual([1000, 2000, 4000, 4000]);
    await store.settle(now, ok(await go(store, now)));
    expect((await store.settle(now, refused(await go(store, now)))).pauseUntil - now).toBe(1000);
  });

  it('does not escalate the fallback for refusals of another endpoint, or several in one window', async () => {
    const store = await opened();
    const [a, b] = [await go(store, T), await go(store, T, ask('e2'))];
    expect((await store.settle(T, refused(a))).pauseUntil).toBe(T + 1000);
    expect((await store.settle(T + 10, refused(b, undefined, 'e2'))).pauseUntil).toBe(T + 1010);
    const c = await go(store, T + 1010, ask('e3'));
    expect((await store.settle(T + 1010, refused(c, undefined, 'e3'))).pauseUntil).toBe(T + 2010);
  });

  it('gives a refusal whose time has passed one probe at once, then the fallback', async () => {
    const store = await opened();
    expect((await store.settle(T, refused(await go(store, T), T - 30_000))).pauseUntil).toBe(0);
    const probe = await go(store, T + 1);
    expect(probe.probe).toBe(true);
    expect(await store.acquire(T + 2, ask())).toMatchObject({ go: false, reason: 'probe' });
    expect((await store.settle(T + 3, refused(probe, T))).pauseUntil).toBe(T + 1003);
  });

  it('lets another send probe when the probe fails without an answer', async () => {
    const store = await opened();
    await store.settle(T + 5, ok(await go(store, T), { remaining: 0, resetAt: T + 1000 }));
    const probe = await go(store, T + 1000);
    await store.settle(T + 1001, { turn: probe, endpoint: 'e1', lessons: [], probeIntervalMs: INTERVAL });
    expect((await go(store, T + 1002)).probe).toBe(true);
  });

  it('verifies a hold longer than the caller can wait: one probe at a time, spaced; a healthy answer lifts it', async () => {
    const store = await opened();
    await store.settle(T, ok(await go(store, T), { remaining: 0, resetAt: T + 86_400_000 }));
    const short = ask('e2', { maxHoldMs: 5000 });
    expect(await store.acquire(T + 10, short)).toEqual({ go: false, until: T + INTERVAL, reason: 'verify', source: 'verify' });
    const probe = await go(store, T + INTERVAL, short);
    expect(probe.verify).toEqual(['']);
    expect(await store.acquire(T + INTERVAL + 1, ask('e3', { maxHoldMs: 5000 }))).toMatchObject({ go: false, reason: 'probe' });
    await store.settle(T + INTERVAL + 5, ok(probe, undefined, 'e2'));
    expect((await store.acquire(T + INTERVAL + 6, ask('e3', { maxHoldMs: 5000 }))).go).toBe(true);
    // The endpoint that named a day is held on its own, unconfirmed.
    expect(await store.acquire(T + INTERVAL + 7, ask('e1', { maxHoldMs: 5000 }))).toMatchObject({ go: false, reason: 'verify' });
  });

  it('confirms a hold when a second endpoint agrees: callers that cannot wait it out are refused at once', async () => {
    const store = await opened();
    const [a, b] = [await go(store, T), await go(store, T, ask('e2'))];
    await store.settle(T + 5, refused(a, T + 86_400_000));
    expect(await store.acquire(T + 6, ask('e3', { maxHoldMs: 5000 }))).toMatchObject({ reason: 'verify' });
    await store.settle(T + 7, refused(b, T + 86_400_000, 'e2'));
    expect(await store.acquire(T + 8, ask('e3', { maxHoldMs: 5000 }))).toEqual({ go: false, until: T + 86_400_000, reason: 'confirmed', source: 'retry-after' });
    // A caller that can wait that long still waits.
    expect(await store.acquire(T + 8, ask('e3', { maxHoldMs: 90_000_000 }))).toMatchObject({ go: false, reason: 'pause' });
  });

  it('an endpoint that repeats its own hold confirms it for itself only', async () => {
    const store = await opened();
    await store.settle(T + 5, refused(await go(store, T), T + 86_400_000));
    const probe = await go(store, T + 5 + INTERVAL, ask('e1', { maxHoldMs: 5000 }));
    await store.settle(T + INTERVAL + 5, refused(probe, T + 86_400_000));
    expect(await store.acquire(T + INTERVAL + 6, ask('e1', { maxHoldMs: 5000 }))).toMatchObject({ reason: 'confirmed' });
    expect(await store.acquire(T + INTERVAL + 6, ask('e2', { maxHoldMs: 5000 }))).toMatchObject({ reason: 'verify' });
  });

  it('holds a named partition apart: its sends wait, others go, and unmapped sends wait out only its short holds', async () => {
    const store = await opened();
    const search = ask('s1', { scopes: ['', 'p:search'] });
    await store.settle(T + 5, refused(await go(store, T, search), T + 3_600_000, 's1', { scope: 'p:search' }));
    expect(await store.acquire(T + 6, { ...search, maxHoldMs: 5000 })).toMatchObject({ go: false, reason: 'verify' });
    expect((await store.acquire(T + 6, ask('c1', { scopes: ['', 'p:core'] }))).go).toBe(true);
    expect((await store.acquire(T + 6, ask('u1', { softPartitions: true }))).go).toBe(true);
    await store.settle(T + 10, refused(await go(store, T + 10, ask('s2', { scopes: ['', 'p:burst'] })), T + 2000, 's2', { scope: 'p:burst' }));
    expect(await store.acquire(T + 11, ask('u1', { softPartitions: true }))).toMatchObject({ go: false, until: T + 2000, reason: 'pause' });
  });

  it('learns a pace from a refusal that gave only a time: as many sends per window as the server accepted', async () => {
    const store = await makeStore();
    await store.settle(T + 2, ok(await go(store, T)));
    for (let i = 3; i <= 6; i += 1) await store.settle(T + i, ok(await go(store, T + i)));
    const turns = [await go(store, T + 7), await go(store, T + 8)];
    await store.settle(T + 11, refused(turns[0]!, T + 1011, 'e1', { timeOnly: true }));
    await store.settle(T + 12, refused(turns[1]!, T + 1010, 'e1', { timeOnly: true }));
    // Accepted: the probe (T) and 4 more (T+3..T+6). The tightest bound on the window is
    // 1007 ms, in whole seconds 1000; 2% margin: 20 ms. After the pause each send takes the
    // slot of the accepted send 1020 ms before it, and no probe is needed.
    expect(await store.acquire(T + 1011, ask())).toEqual({ go: false, until: T + 1020, reason: 'exhausted', source: 'pacing' });
    expect((await go(store, T + 1020)).probe).toBe(false);
    expect(await store.acquire(T + 1021, ask())).toEqual({ go: false, until: T + 3 + 1020, reason: 'exhausted', source: 'pacing' });
    for (let i = 0; i < 4; i += 1) await go(store, T + 1026);
    expect(await store.acquire(T + 1026, ask())).toEqual({ go: false, until: T + 1020 + 1020, reason: 'exhausted', source: 'pacing' });
  });
}

describe('budget (in memory)', () => {
  budgetBehaviour(() => Promise.resolve(createMemoryBudgetStore()));

  it('an answer that finds the whole API’s scope gone (its Redis value lost) leaves it to be probed, not open to every send', () => {
    const sent = acquireStep(emptyBudget(), T, ask());
    if (!sent.result.go) throw new Error('first send must go');
    const lesson = { scope: '', budget: { remaining: 3, resetAt: T + 1000, limit: 10 } };
    const { state } = settleStep(emptyBudget(), T + 5, { turn: sent.result.turn, endpoint: 'e1', status: 200, lessons: [lesson], probeIntervalMs: INTERVAL });
    const probe = acquireStep(state, T + 6, ask());
    expect(probe.result).toMatchObject({ go: true, turn: { probe: true } });
    expect(acquireStep(probe.state, T + 7, ask()).result).toMatchObject({ go: false, reason: 'probe' });
  });

  it('never goes below zero remaining or in flight, whatever the order of events', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('acquire' as const), dt: fc.nat(400), endpoint: fc.constantFrom('a', 'b'), maxHoldMs: fc.constantFrom(500, 60_000) }),
      fc.record({ kind: fc.constant('settle' as const), dt: fc.nat(400), remaining: fc.option(fc.nat(20)), resetIn: fc.nat(2000), pause: fc.option(fc.nat(3000)), status: fc.constantFrom(200, 429, 500) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        let state = emptyBudget();
        let now = T;
        const turns: Array<[Turn, string]> = [];
        for (const step of ops) {
          now += step.dt;
          if (step.kind === 'acquire') {
            const next = acquireStep(state, now, ask(step.endpoint, { maxHoldMs: step.maxHoldMs }));
            state = next.state;
            if (next.result.go) turns.push([next.result.turn, step.endpoint]);
          } else {
            const taken = turns.shift();
            if (taken === undefined) continue;
            const budget = step.remaining === null ? undefined : { remaining: step.remaining, resetAt: now + step.resetIn };
            const pause = step.pause === null ? undefined : { until: now + step.pause - 500, source: 'x', timeOnly: true, fallbackMs: 100, maxFallbackMs: 800 };
            const lesson = { scope: '', ...(budget === undefined ? {} : { budget }), ...(pause === undefined ? {} : { pause }) };
            state = settleStep(state, now, { turn: taken[0], endpoint: taken[1], status: step.status, lessons: [lesson], probeIntervalMs: INTERVAL }).state;
          }
          for (const s of Object.values(state.scopes)) {
            expect(s.remaining).toBeGreaterThanOrEqual(-1);
            expect(s.inflight).toBeGreaterThanOrEqual(0);
            expect(s.pace.limit).toBeGreaterThanOrEqual(0);
            expect(s.pace.log.length).toBeLessThanOrEqual(Math.max(2, 4 * s.pace.limit));
            if (s.remaining >= 0) expect(s.resetAt).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

const redis = await redisForTests();
if (redis.skipReason !== undefined) console.warn(`[rate-limit-budget] Redis tests skipped: ${redis.skipReason}`);

describe.skipIf(redis.skipReason !== undefined)('budget (Redis)', () => {
  const redisClient = suiteRedisClient(redis.url ?? '');
  let counter = 0;
  const keyOf = (n: number): string => `surefetch-test:budget:${process.pid}:${n}`;
  const makeStore = (): Promise<BudgetStore> => freshRedisBudget(redisClient(), keyOf(counter++));

  budgetBehaviour(makeStore);

  it('two stores on one key (two workers) see one budget: every write lands on the other one’s', async () => {
    const client = redisClient();
    const key = keyOf(counter++);
    await client.del(key);
    const [a, b] = [createRedisBudgetStore({ client, key }), createRedisBudgetStore({ client, key })];
    for (let i = 0; i <= 64; i += 1) await (i % 2 === 0 ? a : b).settle(T, ok(await go(i % 2 === 0 ? a : b, T)));
    const turns = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).acquire(T + 1, ask())));
    expect(turns.every((turn) => turn.go)).toBe(true);
    expect((await b.snapshot())?.inflight).toBe(20);
    await b.settle(T + 2, ok((turns[0] as { turn: Turn }).turn, { remaining: 0, resetAt: T + 1000 }));
    expect(await a.acquire(T + 3, ask())).toMatchObject({ go: false, reason: 'exhausted' });
  });

  it('probes first when its state vanished after it would have expired anyway (idle past ttlMs)', async () => {
    const client = redisClient();
    const store = await makeStore();
    await store.settle(T, ok(await go(store, T)));
    expect((await go(store, T + 5)).probe).toBe(false);
    await client.del(keyOf(counter - 1));
    expect((await go(store, T + 70_000)).probe).toBe(true);
    expect(await store.acquire(T + 70_001, ask())).toMatchObject({ go: false, reason: 'probe' });
  });

  it('survives losing its value mid-window (FLUSHALL, failover): the worker that notices writes back its last view, with the window spent, so it is not overrun', async () => {
    const client = redisClient();
    const key = keyOf(counter++);
    await client.del(key);
    const [a, b] = [createRedisBudgetStore({ client, key, ttlMs: 60_000 }), createRedisBudgetStore({ client, key, ttlMs: 60_000 })];
    await a.settle(T + 1, ok(await go(a, T), { remaining: 9, resetAt: T + 1000, limit: 10 }));
    const inFlight = [];
    for (let i = 0; i < 3; i += 1) inFlight.push(await go(a, T + 2));
    for (let i = 0; i < 3; i += 1) inFlight.push(await go(b, T + 3));
    await client.del(key);
    // Answers of the sends in flight before the loss still land on the same window.
    for (const turn of inFlight.slice(3)) await b.settle(T + 5, ok(turn, { remaining: 6, resetAt: T + 1000, limit: 10 }));
    // The view written back may lack other workers' sends: its window counts as spent.
    const asked = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).acquire(T + 10, ask())));
    expect(asked.every((result) => !result.go && result.reason === 'exhausted' && result.until === T + 1000)).toBe(true);
    expect(await b.snapshot()).toMatchObject({ remaining: 0, sent: 7, inflight: 3 });
    // The next window opens as usual.
    expect((await go(a, T + 1000)).probe).toBe(true);
  });
});
