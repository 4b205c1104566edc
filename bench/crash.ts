/**
 * Crash benchmark: 100 order creates run as jobs by a pool of worker processes (4 processes, 2
 * jobs each) that are SIGKILLed 30 times in all, mid-create (one kill per ~3 jobs done, so every
 * client gets all 30), while the emulated fulfillment API answers slowly and with faults. A small
 * in-bench queue puts a killed worker's jobs back at once (stall detection) and a failed job
 * back at its error's `retryAt` (else 200 ms later), and a replacement process starts for each
 * one killed. surefetch (Redis store, the order recipe) and its peers run one after another in
 * this process. From the server's own records: orders landed, duplicates, and the wall time
 * against the fastest peer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startFulfillment } from '../test/emulator/fulfillment.js';
import type { FaultMix } from '../test/emulator/fault.js';
import { mulberry32 } from '../test/emulator/fault.js';
import type { CrashJob } from './crash-worker.js';

type Row = Record<string, string | number>;

const creates = Number(process.env.BENCH_CRASH_CREATES ?? 100);
const kills = Number(process.env.BENCH_CRASH_KILLS ?? 30);
const processes = 4;
const jobsPerProcess = 2;
const failedJobDelayMs = 200;
const giveUpMs = 240_000;
const faultMix: FaultMix = {
  routes: ['POST /v1/orders/create'],
  rates: { delay: 0.75, 'commit-then-500': 0.06, 'commit-then-reset': 0.06, 'reject-500': 0.06, 'reset-before-commit': 0.04 },
  delayMs: 200,
  seed: 11,
};
const clients: Array<[string, string]> = [
  ['surefetch (Redis store)', 'surefetch'],
  ['naive p-retry loop', 'naivePRetry'],
  ['ky (default retry)', 'kyDefault'],
  ['ky (POST retries on)', 'kyPostRetry'],
  ['got (POST retries on)', 'gotPostRetry'],
  ['ofetch (retry: 3)', 'ofetchPostRetry'],
];

/** What `npm run bench` prints above the table. */
export function describeCrashBench(): string {
  return `${creates} order creates as queue jobs on ${processes} worker processes x ${jobsPerProcess}, a busy one SIGKILLed after every ${Math.round(creates / (kills + 1))} jobs done (${kills} kills), each replaced; failed jobs re-run at retryAt`;
}

/** How a worker process starts: a bundle of the worker when esbuild (tsx's own) is at hand, it boots faster; else through tsx. */
async function workerArgs(): Promise<string[]> {
  const source = fileURLToPath(new URL('./crash-worker.ts', import.meta.url));
  try {
    const { build } = await import('esbuild');
    const outfile = fileURLToPath(new URL('../node_modules/.cache/surefetch-bench/crash-worker.mjs', import.meta.url));
    const tsconfig = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
    await build({ entryPoints: [source], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile, tsconfig, logLevel: 'error' });
    return [outfile];
  } catch {
    return ['--import', 'tsx', source];
  }
}

interface Worker {
  readonly proc: ChildProcess;
  ready: boolean;
  readonly running: Set<number>;
}

async function runClient(client: string, args: string[]): Promise<{ landed: number; duplicates: number; killed: number; ms: number; finished: boolean }> {
  const api = await startFulfillment({ listLagMs: 100, faultMix });
  const headers = { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' };
  const emails = Array.from({ length: creates }, (_, index) => `crash-${index}@example.com`);
  const jobs: CrashJob[] = emails.map((email, index) => ({
    index, url: `${api.url}/v1/orders/create`, headers, scope: `crash-job-${index}:create-order`,
    body: JSON.stringify({ campaignId: 'bench', shipTo: { name: `Buyer ${index}`, email, address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' }, products: [{ sku: 'SKU-1', quantity: 1 }] }),
  }));
  const readyAt = jobs.map(() => 0);
  const done = new Set<number>();
  const taken = new Set<number>();
  const workers = new Set<Worker>();
  const random = mulberry32(2026);
  const env = { ...process.env, CLIENT: client, NAMESPACE: `bench-crash-${randomUUID().slice(0, 8)}`, REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' };
  let killed = 0;
  let finish!: () => void;
  const allDone = new Promise<void>((resolve) => (finish = resolve));

  const pump = (): void => {
    const now = Date.now();
    for (const worker of workers) {
      while (worker.ready && worker.running.size < jobsPerProcess) {
        const job = jobs.find((j) => !done.has(j.index) && !taken.has(j.index) && (readyAt[j.index] ?? 0) <= now);
        if (job === undefined) return;
        taken.add(job.index);
        worker.running.add(job.index);
        worker.proc.send(job);
      }
    }
  };
  const start = (): void => {
    const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const worker: Worker = { proc, ready: false, running: new Set() };
    workers.add(worker);
    // A job sent to a worker that is being killed is lost with it, and put back on its exit.
    proc.on('error', () => undefined);
    proc.on('message', (message: { ready?: boolean; index?: number; ok?: boolean; retryAt?: number }) => {
      if (message.ready === true) worker.ready = true;
      else if (message.index !== undefined) {
        worker.running.delete(message.index);
        taken.delete(message.index);
        if (message.ok === true) done.add(message.index);
        else readyAt[message.index] = message.retryAt ?? Date.now() + failedJobDelayMs;
        if (done.size === creates) finish();
      }
      pump();
    });
    proc.on('exit', () => {
      workers.delete(worker);
      // The queue notices the dead worker at once and puts its jobs back.
      for (const index of worker.running) taken.delete(index);
      if (done.size < creates) start();
      pump();
    });
  };

  const started = performance.now();
  for (let i = 0; i < processes; i += 1) start();
  const ticker = setInterval(pump, 20);
  // Kills follow the work, not the clock: one per creates / (kills + 1) jobs done, so every
  // client gets all of them wherever it is slow; each hits a worker with a create in flight.
  const killer = setInterval(() => {
    const due = Math.min(kills, Math.floor((done.size * (kills + 1)) / creates));
    const busy = [...workers].filter((w) => w.ready && w.running.size > 0);
    const victim = busy[Math.floor(random() * busy.length)];
    if (killed >= due || victim === undefined) return;
    victim.ready = false;
    killed += 1;
    victim.proc.kill('SIGKILL');
  }, 10);
  const timer = setTimeout(finish, giveUpMs);
  await allDone;
  const ms = Math.round(performance.now() - started);
  for (const t of [ticker, killer]) clearInterval(t);
  clearTimeout(timer);
  const finished = done.size === creates;
  for (const worker of workers) worker.proc.disconnect();
  await new Promise((resolve) => setTimeout(resolve, 200));
  const orders = api.records.orders.filter((o) => emails.includes(String(o.shipTo.email)));
  const landed = new Set(orders.map((o) => String(o.shipTo.email))).size;
  await api.close();
  return { landed, duplicates: orders.length - landed, killed, ms, finished };
}

/** Runs every client on the crash schedule and returns one row each. */
export async function runCrashBench(): Promise<Row[]> {
  const args = await workerArgs();
  const results: Array<[string, Awaited<ReturnType<typeof runClient>>]> = [];
  // BENCH_CRASH_CLIENTS=surefetch,kyPostRetry runs some of them.
  const only = process.env.BENCH_CRASH_CLIENTS?.split(',');
  for (const [name, client] of clients) if (only === undefined || only.includes(client)) results.push([name, await runClient(client, args)]);
  const fastestPeer = Math.min(...results.filter(([name]) => !name.startsWith('surefetch')).map(([, r]) => r.ms));
  return results.map(([name, r]) => ({
    client: name,
    landed: `${r.landed}/${creates}`,
    duplicates: r.duplicates,
    kills: r.killed,
    'all jobs done': r.finished ? 'yes' : 'no (gave up)',
    'wall s': (r.ms / 1000).toFixed(1),
    'vs fastest peer': `${(r.ms / fastestPeer).toFixed(2)}x`,
  }));
}
