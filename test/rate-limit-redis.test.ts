import { spawn } from 'node:child_process';
import { tracked } from './support/child-processes.js';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import Bottleneck from 'bottleneck';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyRedis7Shim } from '../src/rate-limit/redis7-shim.js';
import { rateLimitRedis } from '../src/rate-limit-redis.js';
import { RateLimiterUnavailableError } from '../src/rate-limit/errors.js';
import { rateLimit, type RateLimitMiddleware, type RateLimitOptions } from '../src/rate-limit/middleware.js';
import { call } from './rate-limit-harness.js';
import { startRateLimitServer, type RateLimitServer } from './rate-limit-server.js';
import { redisForTests } from './support/services.js';

// FLUSHALL must not wipe what other suites keep in the shared Redis: those tests get a private
// redis-server of their own.
const REDIS_SERVER = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((path) => existsSync(path));
const shared = await redisForTests();
const skipReason = shared.skipReason ?? (REDIS_SERVER === undefined ? 'no redis-server binary for a private FLUSHALL-able Redis' : undefined);
if (skipReason !== undefined) console.warn(`[rate-limit-redis] clustered rate-limit tests skipped: ${skipReason}`);

async function startPrivateRedis(): Promise<{ url: string; stop: () => void }> {
  // A port taken by someone else makes redis-server exit at once: try another, never wait on it.
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'surefetch-rl-redis-'));
    const child = tracked(spawn(REDIS_SERVER ?? 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' }));
    const exited = new Promise<'exited'>((resolve) => child.once('exit', () => resolve('exited')));
    const url = `redis://127.0.0.1:${port}`;
    const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: null });
    probe.on('error', () => undefined);
    const up = probe.connect().catch(() => undefined).then(() => probe.ping()).then(() => 'up' as const);
    const outcome = await Promise.race([up, exited, new Promise<'slow'>((resolve) => setTimeout(() => resolve('slow'), 8000))]);
    probe.disconnect();
    if (outcome === 'up') return { url, stop: () => child.kill('SIGKILL') };
    child.kill('SIGKILL');
    if (attempt === 3) throw new Error(`a private redis-server did not start (last try: ${outcome}, port ${port})`);
  }
}

/** A port nothing listens on right now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface WorkerSummary {
  readonly worker: string;
  readonly statuses: Record<string, number>;
  readonly errors: string[];
  readonly elapsedMs: number;
}

function runWorker(env: Record<string, string>): Promise<WorkerSummary> {
  return new Promise((resolve, reject) => {
    const child = tracked(spawn(process.execPath, ['--import', 'tsx', 'test/rate-limit-worker.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`worker ${env.WORKER} exited ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as WorkerSummary);
    });
  });
}

describe.skipIf(skipReason !== undefined)('rateLimit over Redis', () => {
  // Set by beforeAll; unset when it failed, and afterAll must not hide that behind a TypeError.
  let privateRedis: { url: string; stop: () => void } = { url: '', stop: () => undefined };
  let admin: Redis | undefined;
  let api: RateLimitServer;
  const middlewares: RateLimitMiddleware[] = [];
  const id = `surefetch-test:${process.pid}:${Date.now()}`;

  beforeAll(async () => {
    privateRedis = await startPrivateRedis();
    admin = new Redis(privateRedis.url);
  });
  afterAll(async () => {
    await admin?.quit();
    privateRedis?.stop();
  });
  afterEach(async () => {
    await Promise.all(middlewares.splice(0).map((middleware) => middleware.close()));
    await api?.close();
  });
  const limiter = (url: string, suffix: string, options: RateLimitOptions = {}): RateLimitMiddleware => {
    const middleware = rateLimit({ redis: rateLimitRedis({ url }), id: `${id}:${suffix}`, ...options });
    middlewares.push(middleware);
    return middleware;
  };

  it('three worker processes share one budget: every call succeeds with at most one 429 per process, also when a FLUSHALL wipes the budget mid-window with sends in flight', async () => {
    // The flush fires as the server takes a chosen request, so it always lands mid-burst.
    let flushAtRequest = -1;
    let flushed: Promise<unknown> | undefined;
    const script = ({ index }: { index: number }): undefined => {
      if (index === flushAtRequest) flushed = admin!.flushall();
      return undefined;
    };
    api = await startRateLimitServer({ limit: 50, windowMs: 1000, script });
    const run = async (suffix: string): Promise<WorkerSummary[]> => {
      const startAt = Date.now() + 2500;
      const env = { API_URL: api.url, REDIS_URL: privateRedis.url, COUNT: '50', CONCURRENCY: '16', START_AT: String(startAt), LIMITER_ID: `${id}:${suffix}` };
      return Promise.all(['w1', 'w2', 'w3'].map((worker) => runWorker({ ...env, WORKER: worker })));
    };

    // Flushed after the 25th request: half of the first window is spent and sends are in flight.
    for (const [label, flushAfter] of [['steady', undefined], ['flushed', 25]] as const) {
      const before = api.log.length;
      flushAtRequest = flushAfter === undefined ? -1 : before + flushAfter;
      flushed = undefined;
      const summaries = await run(label);
      expect(flushed === undefined).toBe(flushAfter === undefined);
      await flushed;
      const log = api.log.slice(before);
      for (const summary of summaries) {
        expect(summary.errors).toEqual([]);
        expect(summary.statuses).toEqual({ 200: 50 });
        // The worker that notices the loss writes back its last view of the window, so the
        // relearning costs at most one more refusal than a steady run (sends already in flight
        // when the keys vanish can meet the server's fresh count: seen once in a full-suite run).
        expect(log.filter((entry) => entry.worker === summary.worker && entry.status === 429).length).toBeLessThanOrEqual(flushAfter === undefined ? 1 : 2);
      }
      if (flushAfter !== undefined) expect(log.filter((entry) => entry.status === 429).length).toBeLessThanOrEqual(3);
      const elapsed = Math.max(...summaries.map((summary) => summary.elapsedMs));
      const spanMs = log.at(-1)!.time - log[0]!.time;
      console.info(
        `[rate-limit-redis] 3 processes × 50 GETs, 50/1000 ms (${label}): first-to-last request ${spanMs} ms, slowest worker ${elapsed} ms incl. cold start (ideal ≈ 2000 ms), 429s: ${log.filter((entry) => entry.status === 429).length}`,
      );
      expect(elapsed).toBeGreaterThanOrEqual(1900);
      // A full window between the two runs, so the second starts on a fresh one.
      await new Promise((resolve) => setTimeout(resolve, 1100));
    }
  }, 30_000);

  it('a 429 seen by one worker pauses the others through Redis', async () => {
    api = await startRateLimitServer({ script: ({ index }) => (index === 0 ? { status: 429, headers: { 'Retry-After': '1' } } : undefined) });
    const [a, b] = [limiter(privateRedis.url, 'pause'), limiter(privateRedis.url, 'pause')];
    const first = call(a!, `${api.url}/a`);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await call(b!, `${api.url}/b`)).toBe(200);
    expect(await first).toBe(200);
    const refusedAt = api.log[0]!.time;
    expect(api.log.map((entry) => entry.status)).toEqual([429, 200, 200]);
    expect(Math.min(...api.log.slice(1).map((entry) => entry.time - refusedAt))).toBeGreaterThanOrEqual(1000);
  });

  it('keeps working after FLUSHALL between calls (the Redis 7 shim lets bottleneck re-initialize)', async () => {
    api = await startRateLimitServer({ limit: 10, windowMs: 1000 });
    // A cap gives the limiter a clustered bottleneck (unconfigured, it has none).
    const middleware = limiter(privateRedis.url, 'flush-between', { maxConcurrent: 8 });
    expect((await middleware.limiterFor({ url: `${api.url}/a`, method: 'GET', headers: new Headers(), body: null, replayable: true, options: {} })).bottleneck).toBeDefined();
    expect(await call(middleware, `${api.url}/a`)).toBe(200);
    await admin!.flushall();
    expect(await call(middleware, `${api.url}/b`)).toBe(200);
    await admin!.flushall();
    expect(await call(middleware, `${api.url}/c`)).toBe(200);
  });

  it('needs the shim: on Redis 7 an unshimmed clustered bottleneck rejects after FLUSHALL, a shimmed one heals', async () => {
    const make = (suffix: string): Bottleneck =>
      new Bottleneck({ id: `${id}:raw:${suffix}`, datastore: 'ioredis', clientOptions: { host: '127.0.0.1', port: Number(new URL(privateRedis.url).port) }, maxConcurrent: 2 });
    const [raw, shimmed] = [make('raw'), make('shimmed')];
    applyRedis7Shim(shimmed);
    try {
      await Promise.all([raw.ready(), shimmed.ready()]);
      await admin!.flushall();
      await expect(raw.schedule(() => Promise.resolve('ran'))).rejects.toThrow(/^ERR SETTINGS_KEY_NOT_FOUND/);
      await expect(shimmed.schedule(() => Promise.resolve('ran'))).resolves.toBe('ran');
    } finally {
      await Promise.all([raw.disconnect(), shimmed.disconnect()]);
    }
  });

  it('rejects with RateLimiterUnavailableError, sending nothing, when Redis does not become ready in time', async () => {
    api = await startRateLimitServer();
    const middleware = rateLimit({ redis: rateLimitRedis({ url: 'redis://127.0.0.1:1' }), id: `${id}:down`, readyTimeoutMs: 300 });
    middlewares.push(middleware);
    const started = Date.now();
    const error = await call(middleware, `${api.url}/a`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimiterUnavailableError);
    expect((error as RateLimiterUnavailableError).code).toBe('RATE_LIMITER_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(3000); // bounded by readyTimeoutMs, not a hang
    expect(api.log).toHaveLength(0);
  });

  it('uses the shared Redis given by redisForTests for an ordinary clustered call, with no bottleneck when nothing caps it', async () => {
    api = await startRateLimitServer({ limit: 5, windowMs: 1000 });
    const middleware = limiter(shared.url ?? '', 'shared');
    expect(await call(middleware, `${api.url}/a`)).toBe(200);
    const { store, bottleneck } = await middleware.limiterFor({ url: `${api.url}/a`, method: 'GET', headers: new Headers(), body: null, replayable: true, options: {} });
    expect(await store.snapshot()).toMatchObject({ limit: 5, remaining: 4 });
    expect(bottleneck).toBeUndefined();
  });
});
