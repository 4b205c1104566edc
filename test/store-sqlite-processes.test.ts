/**
 * sqliteStore across real processes on one file: concurrent claims from several processes, and a
 * "frozen" store, which for SQLite is another process stuck holding the write lock. Operations,
 * one or 50 at once, must then reject with StoreUnavailableError at operationTimeoutMs (with
 * slack for a loaded machine) without blocking the event loop for it, give way to the caller's
 * abort and to close(), and go on once the holder dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFetch, createManualClock } from '../src/index.js';
import { idempotency } from '../src/idempotency/idempotency.js';
import { sqliteStore } from '../src/store/sqlite-store.js';
import type { SqliteDriverName } from '../src/store/sqlite-driver.js';
import { StoreUnavailableError } from '../src/store/store-unavailable-error.js';
import { startFulfillment, type FulfillmentEmulator } from './emulator/fulfillment.js';
import { tracked } from './support/child-processes.js';
import { sqliteDir, sqliteDrivers } from './support/sqlite-drivers.js';
import { makeRecord, uniqueNamespace } from './support/store-contract.js';

const dir = sqliteDir();
const timeoutMs = 400;
const script = (name: string): string => fileURLToPath(new URL(`./support/${name}`, import.meta.url));

/** Starts a tsx child; resolves it once its stdout has shown `line`. */
function startChild(name: string, env: Record<string, string>, line: string): Promise<{ proc: ChildProcess; output: () => string }> {
  return new Promise((resolve, reject) => {
    const proc = tracked(spawn(process.execPath, ['--import', 'tsx', script(name)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    proc.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes(`${line}\n`)) resolve({ proc, output: () => out });
    });
    proc.once('exit', (code) => reject(new Error(`${name} exited with ${String(code)} before "${line}": ${err.slice(0, 2000)}`)));
  });
}

const exited = (proc: ChildProcess): Promise<void> =>
  proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise((resolve) => proc.once('exit', () => resolve()));

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; result: PromiseSettledResult<T> }> {
  const start = performance.now();
  const [result] = await Promise.allSettled([run()]);
  return { ms: performance.now() - start, result: result as PromiseSettledResult<T> };
}

let api: FulfillmentEmulator;
beforeAll(async () => {
  api = await startFulfillment();
});
afterAll(async () => {
  await api.close();
});

describe.each(sqliteDrivers)('sqliteStore across processes on %s', (driver: SqliteDriverName) => {
  const file = join(dir, `${driver.replace(':', '-')}.db`);
  let holder: ChildProcess | undefined;
  afterEach(async () => {
    holder?.kill('SIGKILL');
    if (holder) await exited(holder);
    holder = undefined;
  });

  /** A store that worked, and a child process that now holds the file's write lock and never lets go. */
  async function lockedStore(options: { operationTimeoutMs?: number } = {}) {
    const store = sqliteStore({ path: file, namespace: uniqueNamespace(), driver, operationTimeoutMs: options.operationTimeoutMs ?? timeoutMs });
    expect(await store.claim(makeRecord('before-the-lock'), 60_000)).toEqual({ claimed: true });
    holder = (await startChild('sqlite-lock-child.ts', { DB: file, DRIVER: driver }, 'locked')).proc;
    return store;
  }

  it('lets exactly one claim win when 6 processes fire 5 claims each of one scope on one barrier', async () => {
    const namespace = uniqueNamespace();
    const barrier = join(dir, `go-${randomUUID()}`);
    const env = { DB: file, DRIVER: driver, NAMESPACE: namespace, SCOPE: 'job-1:create', CLAIMS: '5', BARRIER: barrier };
    const children = await Promise.all(Array.from({ length: 6 }, () => startChild('sqlite-claim-child.ts', env, 'ready')));
    writeFileSync(barrier, 'go');
    await Promise.all(children.map(({ proc }) => exited(proc)));
    const outcomes = children.flatMap(({ output }) => JSON.parse(/result (.*)\n/.exec(output())?.[1] ?? '[]') as Array<{ won?: string; lost?: string; existing?: string }>);
    expect(outcomes).toHaveLength(30);
    const winners = outcomes.flatMap((o) => (o.won === undefined ? [] : [o.won]));
    expect(winners).toHaveLength(1);
    expect(outcomes.filter((o) => o.lost !== undefined).every((o) => o.existing === winners[0])).toBe(true);
    const store = sqliteStore({ path: file, namespace, driver });
    expect((await store.get('job-1:create'))?.owner).toBe(winners[0]);
    await store.close();
  }, 60_000);

  it('rejects each write with StoreUnavailableError no sooner than operationTimeoutMs and within 2.5 times it while another process holds the lock, and still answers reads (the file is in WAL mode)', async () => {
    const store = await lockedStore();
    const record = makeRecord('before-the-lock');
    const writes: Array<[string, () => Promise<unknown>]> = [
      ['claim', () => store.claim(makeRecord('a'), 60_000)],
      ['update', () => store.update({ ...record, version: 2 }, 1, 60_000)],
      ['delete', () => store.delete('a')],
      ['markAlive', () => store.markAlive!('owner', 1000)],
    ];
    for (const [operation, run] of writes) {
      const { ms, result } = await timed(run);
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
      expect((result as PromiseRejectedResult).reason).toMatchObject({ backend: 'sqlite', operation, target: file });
      expect(ms).toBeGreaterThanOrEqual(timeoutMs - 20);
      expect(ms).toBeLessThan(timeoutMs * 2.5);
    }
    expect(await store.get('before-the-lock')).toBeDefined();
    expect(await store.isAlive!('owner')).toBe(false);
    await store.close();
  });

  it('keeps the event loop turning while a claim waits for the lock (no gap of 150 ms; waiting inside SQLite for the 400 ms bound would show one)', async () => {
    const store = await lockedStore();
    const { value: [result], longestGap } = await withTicker(() => Promise.allSettled([store.claim(makeRecord('b'), 60_000)]));
    expect((result as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
    // busy_timeout is 20 ms: one try blocks about that long. A store that waited inside SQLite for the whole bound would show a 400 ms gap.
    expect(longestGap).toBeLessThan(150);
    await store.close();
  });

  /** Runs `run` while a 5 ms interval measures the longest gap between its ticks. */
  async function withTicker<T>(run: () => Promise<T>): Promise<{ value: T; longestGap: number; ms: number }> {
    let last = performance.now();
    let longestGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 5);
    const started = performance.now();
    try {
      const value = await run();
      return { value, longestGap: Math.max(longestGap, performance.now() - last), ms: performance.now() - started };
    } finally {
      clearInterval(ticker);
    }
  }

  it('keeps the event loop turning (no gap of 150 ms) while 50 claims wait for the lock at once, and rejects each with StoreUnavailableError within 2.5 times the bound', async () => {
    const store = await lockedStore();
    const { value: results, longestGap, ms } = await withTicker(() => Promise.allSettled(Array.from({ length: 50 }, (_, i) => store.claim(makeRecord(`job-${String(i)}`), 60_000))));
    console.log(`${driver}: 50 claims waiting for the lock: all settled after ${ms.toFixed(0)} ms (bound ${String(timeoutMs)} ms), longest event-loop gap ${longestGap.toFixed(0)} ms`);
    for (const result of results) expect((result as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
    // Each of 50 tries waiting out the 20 ms busy_timeout in turn would block the loop for 1 s, and each retry round again.
    expect(longestGap).toBeLessThan(150);
    expect(ms).toBeGreaterThanOrEqual(timeoutMs - 20);
    expect(ms).toBeLessThan(timeoutMs * 2.5);
    await store.close();
  });

  it("rejects a claim queued behind 49 others with the caller's abort reason when the caller aborts, well before the bound", async () => {
    const store = await lockedStore({ operationTimeoutMs: 5000 });
    const others = Array.from({ length: 49 }, (_, i) => store.claim(makeRecord(`job-${String(i)}`), 60_000).catch((error: unknown) => error));
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    setTimeout(() => controller.abort(reason), 30);
    const { ms, result } = await timed(() => store.claim(makeRecord('last'), 60_000, { signal: controller.signal }));
    expect(result).toEqual({ status: 'rejected', reason });
    expect(ms).toBeLessThan(timeoutMs); // a tenth of its 5 s bound
    await store.close();
    for (const error of await Promise.all(others)) expect(error).toBeInstanceOf(StoreUnavailableError);
  });

  it('close() resolves within 100 ms while 50 claims wait for the lock, and each rejects with "the store is closed" within 1 s', async () => {
    const store = await lockedStore({ operationTimeoutMs: 5000 });
    const started = performance.now();
    const pending = Array.from({ length: 50 }, (_, i) => store.claim(makeRecord(`job-${String(i)}`), 60_000).catch((error: unknown) => error));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = await timed(() => store.close());
    expect(closed.result.status).toBe('fulfilled');
    expect(closed.ms).toBeLessThan(100);
    for (const error of await Promise.all(pending)) {
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(String(error)).toContain('the store is closed');
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('a claim queued behind a waiting one takes its turn once the lock frees, and the one it queued behind goes first', async () => {
    const store = await lockedStore({ operationTimeoutMs: 5000 });
    const order: string[] = [];
    const first = store.claim(makeRecord('first'), 60_000).then((r) => (order.push('first'), r));
    const second = store.claim(makeRecord('second'), 60_000).then((r) => (order.push('second'), r));
    await new Promise((resolve) => setTimeout(resolve, 100));
    holder?.kill('SIGKILL');
    expect(await Promise.all([first, second])).toEqual([{ claimed: true }, { claimed: true }]);
    expect(order).toEqual(['first', 'second']);
    await store.close();
  });

  it("rejects with the caller's abort reason when the caller aborts at 30 ms, within half the 400 ms bound", async () => {
    const store = await lockedStore();
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    setTimeout(() => controller.abort(reason), 30);
    const { ms, result } = await timed(() => store.claim(makeRecord('c'), 60_000, { signal: controller.signal }));
    expect(result).toEqual({ status: 'rejected', reason });
    expect(ms).toBeLessThan(timeoutMs / 2);
    await store.close();
  });

  it('close() resolves within 100 ms while a claim waits for the lock, and the claim rejects with StoreUnavailableError within 1 s', async () => {
    const store = await lockedStore({ operationTimeoutMs: 5000 });
    const pending = timed(() => store.claim(makeRecord('d'), 60_000));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = await timed(() => store.close());
    expect(closed.result.status).toBe('fulfilled');
    expect(closed.ms).toBeLessThan(100);
    const { ms, result } = await pending;
    expect((result as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
    expect(String((result as PromiseRejectedResult).reason)).toContain('the store is closed');
    expect(ms).toBeLessThan(1000);
  });

  it('takes the claim once the process holding the lock is SIGKILLed (the OS releases its lock)', async () => {
    const store = await lockedStore({ operationTimeoutMs: 5000 });
    const pending = timed(() => store.claim(makeRecord('e'), 60_000));
    await new Promise((resolve) => setTimeout(resolve, 200));
    holder?.kill('SIGKILL');
    const { ms, result } = await pending;
    expect(result).toEqual({ status: 'fulfilled', value: { claimed: true } });
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(4000);
    await store.close();
  });

  it('an idempotency call on a locked store fails with StoreUnavailableError within the bound, sending nothing', async () => {
    const store = await lockedStore();
    const sureFetch = createFetch({ middleware: [idempotency({ store })], clock: createManualClock() });
    const creates = (): number => api.requests.filter((r) => r.method === 'POST').length;
    const before = creates();
    const { ms, result } = await timed(() =>
      sureFetch(`${api.url}/v1/orders/create`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ campaignId: 'c', products: [{ sku: 'SKU-1', quantity: 1 }] }),
        surefetch: { idempotencyScope: `locked-${randomUUID()}` },
      }),
    );
    expect((result as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
    expect(ms).toBeLessThan(timeoutMs * 2.5);
    expect(creates()).toBe(before);
    await store.close();
  });
});
