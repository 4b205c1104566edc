/**
 * Clustered rate-limit benchmark: the same 250 GETs against 50 per 1000 ms, split over 3
 * worker processes that share one credential. surefetch's workers share one budget and one
 * pause through Redis; ky's workers (retry limit 5, honouring Retry-After / RateLimit-Reset)
 * have nothing to share. Reports wall time / ideal and 429s received per process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startFulfillment } from '../test/emulator/fulfillment.js';
import { redisForTests } from '../test/support/services.js';

const processes = 3;
const calls = 250;
const concurrency = 16;
const limit = { limit: 50, windowMs: 1000 };
const idealMs = (Math.ceil(calls / limit.limit) - 1) * limit.windowMs;
const workerScript = fileURLToPath(new URL('./cluster-worker.ts', import.meta.url));

function startWorker(env: Record<string, string>): { child: ChildProcess; ready: Promise<void>; done: Promise<{ worker: string; failed: number; finishedAt: number }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', workerScript], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const done = new Promise<{ worker: string; failed: number; finishedAt: number }>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready\n')) markReady();
      const last = output.trim().split('\n').at(-1) ?? '';
      if (last.startsWith('{')) resolve(JSON.parse(last) as { worker: string; failed: number; finishedAt: number });
    });
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`worker exited with ${String(code)}`))));
  });
  return { child, ready, done };
}

/** Runs the clustered benchmark; returns its rows, or a reason it could not run. */
export async function runClusterBench(): Promise<Array<Record<string, string | number>> | string> {
  const redis = await redisForTests();
  if (redis.url === undefined) return `skipped: ${redis.skipReason}`;
  const rows: Array<Record<string, string | number>> = [];
  for (const client of ['surefetch', 'ky']) {
    const api = await startFulfillment({ rateLimit: limit });
    const warm = await startFulfillment({ seed: 2 });
    const limiterId = `bench:${randomUUID()}`;
    const workers = Array.from({ length: processes }, (_, index) =>
      startWorker({
        CLIENT: client,
        API_URL: api.url,
        API_KEY: api.apiKey,
        WARM_URL: warm.url,
        WARM_KEY: warm.apiKey,
        REDIS_URL: redis.url ?? '',
        LIMITER_ID: limiterId,
        WORKER: `w${index}`,
        COUNT: String(Math.floor(calls / processes) + (index < calls % processes ? 1 : 0)),
        CONCURRENCY: String(Math.floor(concurrency / processes) + (index < concurrency % processes ? 1 : 0)),
      }),
    );
    await Promise.all(workers.map((worker) => worker.ready));
    const started = Date.now();
    for (const worker of workers) worker.child.stdin?.write('go\n');
    const results = await Promise.all(workers.map((worker) => worker.done));
    const wallMs = Math.max(...results.map((result) => result.finishedAt)) - started;
    const per429 = results.map((result) => api.requests.filter((request) => request.headers['x-worker'] === result.worker && request.status === 429).length);
    rows.push({
      client: client === 'surefetch' ? 'surefetch (rateLimit over Redis)' : 'ky (retry limit 5), no shared state',
      processes,
      'wall ms': wallMs,
      'ideal ms': idealMs,
      'wall / ideal': (wallMs / idealMs).toFixed(3),
      '429s per process': per429.join(' / '),
      'failed calls': results.reduce((sum, result) => sum + result.failed, 0),
      requests: api.stats.requests,
    });
    await api.close();
    await warm.close();
  }
  return rows;
}

/** One paragraph saying what the clustered benchmark runs. */
export function describeClusterBench(): string {
  return `${calls} GETs over ${processes} processes (concurrency ${concurrency} in all), one credential, server limit ${limit.limit} per ${limit.windowMs} ms; ideal ${idealMs} ms\n`;
}
