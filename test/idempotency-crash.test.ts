import { spawn } from 'node:child_process';
import { tracked } from './support/child-processes.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetch, retry, systemClock } from '../src/index.js';
import { idempotency } from '../src/idempotency/idempotency.js';
import { byRoute, fulfillmentOrders } from '../src/recipes/index.js';
import { postgresStore } from '../src/store/postgres-store.js';
import { redisStore } from '../src/store/redis-store.js';
import { sqliteStore } from '../src/store/sqlite-store.js';
import { sqliteDir } from './support/sqlite-drivers.js';
import { mulberry32 } from './emulator/fault.js';
import { startFulfillment, type FulfillmentEmulator } from './emulator/fulfillment.js';
import { postgresForTests, redisForTests } from './support/services.js';
import { uniqueNamespace } from './support/store-contract.js';

const redis = await redisForTests();
if (redis.skipReason) console.warn(`Idempotency crash tests on Redis skipped: ${redis.skipReason}`);
const postgres = await postgresForTests();
if (postgres.skipReason) console.warn(`Idempotency crash test on PostgreSQL skipped: ${postgres.skipReason}`);
const backends = [
  { name: 'Redis', store: 'redis', url: redis.url, open: (url: string, namespace: string) => redisStore({ url, namespace }) },
  { name: 'PostgreSQL', store: 'postgres', url: postgres.url, open: (url: string, namespace: string) => postgresStore({ url, namespace }) },
  // One file every worker process shares (the driver that loads: better-sqlite3 on Node 20, node:sqlite on 22).
  { name: 'SQLite', store: 'sqlite', url: join(sqliteDir(), 'jobs.db'), open: (path: string, namespace: string) => sqliteStore({ path, namespace }) },
] as const;
const child = fileURLToPath(new URL('./support/idempotency-child.ts', import.meta.url));
const crashFaults = {
  routes: ['POST /v1/orders/create'],
  rates: { delay: 0.3, 'commit-then-stall': 0.2, 'commit-then-500': 0.15, 'commit-then-reset': 0.1, 'reject-500': 0.1 },
  delayMs: 40,
  stallMs: 60,
} as const;

type ChildEnd = 'killed' | `finished ${string}`;

/** What a worker that finished printed: its sends, and when it passed the barrier and got its answer (epoch ms). */
interface FinishedRun {
  readonly sends: number;
  readonly start: number;
  readonly end: number;
}
const finishedRuns = new Map<string, FinishedRun>();

/**
 * Starts the worker, waits until it is ready to send, then SIGKILLs it after `killAfterMs` (never when undefined).
 * A worker that finishes leaves its {@link FinishedRun} in `finishedRuns` under `env.RUN_ID`, if given.
 */
function runAndKill(env: Record<string, string>, killAfterMs: number | undefined, onReady?: () => void): Promise<ChildEnd> {
  return new Promise((resolve, reject) => {
    const proc = tracked(spawn(process.execPath, ['--import', 'tsx', child], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    let output = '';
    let errors = '';
    proc.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    proc.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (onReady && output.includes('ready\n') && !output.includes('noted')) {
        output += 'noted';
        onReady();
      }
      if (killAfterMs !== undefined && output.includes('ready\n') && !output.includes('armed')) {
        output += 'armed';
        setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
      }
    });
    proc.once('error', reject);
    proc.once('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve('killed');
      else if (code === 0 && /done 201 (\S+)/.test(output)) {
        const numbers = /sends=(\d+) start=(\d+) end=(\d+)/.exec(output);
        if (env.RUN_ID !== undefined && numbers) finishedRuns.set(env.RUN_ID, { sends: Number(numbers[1]), start: Number(numbers[2]), end: Number(numbers[3]) });
        resolve(`finished ${/done 201 (\S+)/.exec(output)?.[1] ?? ''}`);
      }
      else reject(new Error(`worker exited with ${String(code)}: ${errors.slice(0, 2000)}`));
    });
  });
}

describe.each(backends)('idempotency across processes on $name', (backend) => {
  let api: FulfillmentEmulator;
  beforeAll(async () => {
    api = await startFulfillment({ faultMix: crashFaults, seed: 7 });
  });
  afterAll(async () => {
    await api.close();
  });

  it.skipIf(!backend.url)('leaves exactly one order per scope after 50 workers SIGKILLed at random points (some after their order landed, some before) and re-run', async () => {
    const namespace = uniqueNamespace();
    const random = mulberry32(20_260_501);
    const jobs = Array.from({ length: 50 }, (_, i) => ({ scope: `job-${i}:create-order`, email: `crash-${i}-${namespace}@example.com` }));
    const ends: ChildEnd[] = [];
    for (let i = 0; i < jobs.length; i += 5) {
      const batch = jobs.slice(i, i + 5).map((job) =>
        runAndKill(
          { STORE: backend.store, STORE_URL: backend.url ?? '', NAMESPACE: namespace, API_URL: api.url, API_KEY: api.apiKey, SCOPE: job.scope, EMAIL: job.email },
          Math.floor(random() * 200),
        ),
      );
      ends.push(...(await Promise.all(batch)));
    }
    const killed = ends.filter((end) => end === 'killed').length;
    const landedBeforeRerun = jobs.filter((job) => api.records.orders.some((o) => o.shipTo.email === job.email)).length;
    console.info(`crash test on ${backend.name}: ${killed}/50 killed mid-call, ${landedBeforeRerun}/50 orders existed before the re-runs`);
    expect(killed).toBeGreaterThanOrEqual(10);
    // The re-runs must face both cases: an order that landed before its worker died (to be found,
    // not re-sent) and one that did not (to be sent).
    expect(landedBeforeRerun).toBeGreaterThanOrEqual(2);
    expect(landedBeforeRerun).toBeLessThanOrEqual(48);

    api.faults.setMix(undefined);
    const store = backend.open(backend.url ?? '', namespace);
    try {
      const sureFetch = createFetch({
        middleware: [idempotency({ store, waitForOwnerMs: 3000, pollMs: 50, existenceCheck: byRoute(fulfillmentOrders({ settleDelaysMs: [0, 100, 200] })) }), retry()],
        clock: systemClock,
      });
      const reruns = await Promise.all(
        jobs.map((job) =>
          sureFetch(`${api.url}/v1/orders/create`, {
            method: 'POST',
            headers: { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' },
            body: JSON.stringify({
              campaignId: 'crash',
              shipTo: { name: 'Ada', email: job.email, address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' },
              products: [{ sku: 'SKU-1', quantity: 1 }],
            }),
            surefetch: { idempotencyScope: job.scope },
          }),
        ),
      );
      expect(reruns.every((r) => r.ok)).toBe(true);
      for (const job of jobs) expect(api.records.orders.filter((o) => o.shipTo.email === job.email)).toHaveLength(1);
      for (const job of jobs) expect((await store.get(job.scope))?.state).toBe('succeeded');
    } finally {
      await store.close();
    }
  }, 240_000);

  it.skipIf(!backend.url)('sends once per scope when 4 processes start the same 3 scopes on one barrier, all 4 in flight together', async () => {
    api.faults.setMix({ routes: ['POST /v1/orders/create'], rates: { delay: 1 }, delayMs: 150 });
    const namespace = uniqueNamespace();
    const barrier = join(mkdtempSync(join(tmpdir(), 'surefetch-race-')), 'go');
    const scopes = [0, 1, 2].map((i) => ({ scope: `race-${i}`, email: `race-${i}-${namespace}@example.com` }));
    const before = api.requests.length;
    let ready = 0;
    const onReady = (): void => {
      ready += 1;
      if (ready === 12) writeFileSync(barrier, 'go');
    };
    const runs = scopes.flatMap((job, i) =>
      Array.from({ length: 4 }, (_, k) =>
        runAndKill(
          {
            STORE: backend.store, STORE_URL: backend.url ?? '', NAMESPACE: namespace, API_URL: api.url, API_KEY: api.apiKey, SCOPE: job.scope,
            EMAIL: job.email, WAIT_MS: '20000', ATTEMPT_MS: '5000', LEASE_MS: '5000', BARRIER: barrier, RUN_ID: `${namespace}-${i}-${k}`,
          },
          undefined,
          onReady,
        ),
      ),
    );
    const ends = await Promise.all(runs);
    api.faults.setMix(undefined);
    for (const [i, job] of scopes.entries()) {
      expect(new Set(ends.slice(i * 4, i * 4 + 4)).size).toBe(1);
      expect(api.records.orders.filter((o) => o.shipTo.email === job.email)).toHaveLength(1);
      const finished = [0, 1, 2, 3].map((k) => finishedRuns.get(`${namespace}-${i}-${k}`));
      expect(finished.every((run) => run !== undefined)).toBe(true);
      const runsOfScope = finished as FinishedRun[];
      // Contention, not a queue: every worker of the scope had started before any of them got its answer.
      expect(Math.max(...runsOfScope.map((run) => run.start))).toBeLessThan(Math.min(...runsOfScope.map((run) => run.end)));
      expect(runsOfScope.map((run) => run.sends).sort()).toEqual([0, 0, 0, 1]);
    }
    expect(api.requests.slice(before).filter((r) => r.method === 'POST' && r.path === '/v1/orders/create')).toHaveLength(3);
  }, 60_000);
});
