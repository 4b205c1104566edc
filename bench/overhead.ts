/**
 * Overhead benchmark: what each client costs on the happy path. GETs of a small JSON body from
 * a keep-alive loopback node:http server, 16 in flight, every answer's body parsed. Clients:
 * raw fetch, ky, got, ofetch (each with its defaults), surefetch bare (`createFetch()`), each
 * surefetch middleware alone, and the README's full pipeline `[idempotency(), retry(),
 * circuitBreaker(), rateLimit()]` (in memory: idempotency's default store, rateLimit without
 * Redis; a GET passes idempotency straight through, so its store does not matter here).
 *
 * `raw fetch (control)` is raw fetch once more, as a client of its own: an A/A control. Nothing
 * sets it apart from raw fetch, so its distance from 1.00x is what this run's noise (and a
 * client's place among the others) does to any ratio in the same table.
 *
 * `raw fetch + timeout` is fetch with what a per-attempt timeout needs (an AbortController whose
 * signal fetch gets, a timer): undici does more work per request given a signal (it registers a
 * listener and a finalizer), so this row is the floor for a client whose timeout is an
 * AbortController (surefetch times Node's own fetch out through its dispatcher instead:
 * src/pipeline/attempt-dispatcher.ts).
 *
 * Timing: one warm-up round of `WARM_UP_CALLS` calls per client (discarded), then `BENCH_OVERHEAD_ROUNDS` rounds; in each, every
 * client makes `BENCH_OVERHEAD_CALLS` calls, in an order shuffled from round to round (seeded, so
 * runs repeat it), so that noise from the (shared) machine spreads over all clients. Each client's
 * timed calls follow `LEAD_IN` untimed calls of its own: the client before it leaves garbage to
 * collect and undici's shared code tuned to itself, and with a fixed order (a rotation keeps
 * every client behind the same one) one client would pay that for another in every round, for
 * instance ofetch for got's 90 KiB per call. Reported: the median calls/s and
 * the median over rounds of the client's calls/s divided by raw fetch's in the same round, with
 * the middle half of those per-round ratios (their spread is the machine's noise); and
 * this process's CPU time per call (user + system, so the client's and undici's work, not the
 * server's when it runs apart), with raw fetch's divided by the client's. On a loaded machine the
 * CPU ratio is the steadier of the two: the wall-clock rate also counts time the process waited
 * for a core.
 *
 * The server runs in a child process by default (`BENCH_OVERHEAD_SERVER=inline` keeps it in
 * this process): in one process the server's own work per request (parsing, writing) is the
 * same for every client and dilutes the ratios towards 1, hiding the client's cost; in another
 * process, with a core of its own, the clients' CPU is what limits the rate. On a machine with
 * fewer free cores than two, the child server competes with the clients and the ratios creep
 * towards 1 again.
 *
 * Memory, measured apart from the timed rounds, per client over `BENCH_OVERHEAD_CALLS` calls:
 * - `alloc/call`: bytes allocated on the JS heap per call, from v8's GC profiler (the heap's
 *   growth between collections plus its growth since the last one). Buffers outside the JS
 *   heap (undici's socket buffers) are not counted; with an inline server its allocations are.
 * - `gc ms/1k`: time spent in collections per 1000 calls.
 * - `kept/call`: heap still used after a full collection, per call (should be ~0: nothing kept).
 * Last, `record`: heap kept per stored request record of `idempotency()` with its default
 * memory store, from POST creates with a scope each, after a full collection.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString, GCProfiler } from 'node:v8';
import { runInNewContext } from 'node:vm';
import got from 'got';
import ky from 'ky';
import { ofetch } from 'ofetch';
import type { Middleware } from '../src/index.js';
import { surefetchBuild, surefetchBuildName } from './surefetch-build.js';
import { median, middleHalf, runPool, seededRandom, shuffled } from './harness.js';
import { startJsonServer } from './overhead-server.js';

const calls = Number(process.env.BENCH_OVERHEAD_CALLS ?? 400);
const rounds = Number(process.env.BENCH_OVERHEAD_ROUNDS ?? 20);
const concurrency = 16;
// Untimed calls of each client before its timed ones, in every round (see the header).
const LEAD_IN = 64;
// Calls of each client in the discarded first round: a client's code runs optimized only after
// some thousands of calls (see overhead-alone-child.ts).
const WARM_UP_CALLS = 2000;
const serverScript = fileURLToPath(new URL('./overhead-server.ts', import.meta.url));

type Client = (url: string) => Promise<unknown>;

/** The surefetch clients, by name: bare, each middleware alone, the README's full pipeline. */
export async function surefetchPipelines(): Promise<Array<[string, () => Middleware[]]>> {
  const { idempotency, retry, circuitBreaker, rateLimit } = await surefetchBuild();
  return [
    ['surefetch bare', () => []],
    ['+ idempotency', () => [idempotency()]],
    ['+ retry', () => [retry()]],
    ['+ circuitBreaker', () => [circuitBreaker()]],
    ['+ rateLimit', () => [rateLimit()]],
    ['surefetch full', () => [idempotency(), retry(), circuitBreaker(), rateLimit()]],
  ];
}

/** The clients, by name, each as its docs describe a GET of JSON. */
export async function overheadClients(): Promise<Array<[string, Client]>> {
  const { createFetch } = await surefetchBuild();
  return [
    ...(await baselineClients()),
    ['raw fetch', async (url) => (await fetch(url)).json()],
    // The same client again, a function of its own: its ratio to raw fetch would be 1.00x on a
    // quiet machine, so how far it lands from that is this run's noise and bias of position.
    ['raw fetch (control)', async (url) => (await fetch(url)).json()],
    // What any per-attempt timeout costs over fetch (ky's has one too, surefetch's is 30 s by
    // default): an AbortController, its signal passed to fetch, a timer cleared at the headers.
    ['raw fetch + timeout', async (url) => {
      const attempt = new AbortController();
      const timer = setTimeout(() => attempt.abort(), 30_000);
      try {
        return (await fetch(url, { signal: attempt.signal })).json();
      } finally {
        clearTimeout(timer);
      }
    }],
    ['ky', (url) => ky.get(url).json()],
    ['got', (url) => got(url).json()],
    ['ofetch', (url) => ofetch(url)],
    ...(await surefetchPipelines()).map(([name, middleware]): [string, Client] => {
      const sureFetch = createFetch({ middleware: middleware() });
      return [name, async (url) => (await sureFetch(url)).json()];
    }),
  ];
}

/**
 * With `BENCH_OVERHEAD_BASELINE=<path to another build's dist/index.js>` (say, a worktree of an
 * earlier commit), that build's bare and full pipelines run in the same rounds as this one's, so
 * a change is measured against what it replaces under the same noise.
 */
async function baselineClients(): Promise<Array<[string, Client]>> {
  const path = process.env.BENCH_OVERHEAD_BASELINE;
  if (path === undefined || path === '') return [];
  const baseline = (await import(pathToFileURL(path).href)) as typeof import('../src/index.js');
  const client = (middleware: Middleware[]): Client => {
    const sureFetch = baseline.createFetch({ middleware });
    return async (url) => (await sureFetch(url)).json();
  };
  return [
    ['baseline bare', client([])],
    ['baseline full', client([baseline.idempotency(), baseline.retry(), baseline.circuitBreaker(), baseline.rateLimit()])],
  ];
}

/** Starts the overhead server: in a child process unless `BENCH_OVERHEAD_SERVER=inline`. */
export async function startServer(): Promise<{ url: string; close: () => Promise<void> }> {
  if (process.env.BENCH_OVERHEAD_SERVER === 'inline') return startJsonServer();
  const child = spawn(process.execPath, ['--import', 'tsx', serverScript], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /port (\d+)\n/.exec(output);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${String(code)}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.stdin.end();
    }),
  };
}

function exposedGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Calls per wall-clock second, and this process's CPU time per call in µs. */
async function measure(client: Client, url: string, count: number): Promise<{ rate: number; cpuUs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await runPool(count, concurrency, () => client(url));
  const elapsed = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  return { rate: (count * 1000) / elapsed, cpuUs: (user + system) / count };
}

/** JS-heap bytes allocated and GC time while `run` runs (see the header). */
async function allocation(run: () => Promise<unknown>): Promise<{ bytes: number; gcMs: number }> {
  const profiler = new GCProfiler();
  const before = process.memoryUsage().heapUsed;
  profiler.start();
  await run();
  const after = process.memoryUsage().heapUsed;
  const { statistics } = profiler.stop();
  let bytes = 0;
  let from = before;
  let gcMs = 0;
  for (const entry of statistics) {
    bytes += entry.beforeGC.heapStatistics.usedHeapSize - from;
    from = entry.afterGC.heapStatistics.usedHeapSize;
    gcMs += entry.cost / 1000;
  }
  return { bytes: bytes + after - from, gcMs };
}

async function kept(gc: () => void, run: () => Promise<unknown>): Promise<{ bytes: number; hold: unknown }> {
  gc();
  const before = process.memoryUsage().heapUsed;
  const hold = await run();
  gc();
  return { bytes: process.memoryUsage().heapUsed - before, hold };
}

/** Heap kept per stored idempotency record (default memory store), from `count` scoped creates. */
async function recordBytes(gc: () => void, url: string, count: number): Promise<number> {
  const { createFetch, idempotency } = await surefetchBuild();
  const sureFetch = createFetch({ middleware: [idempotency()] });
  const body = JSON.stringify({ sku: 'SKU-1', quantity: 2 });
  const create = (index: number): Promise<unknown> =>
    sureFetch(`${url}/v1/orders/create`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, surefetch: { idempotencyScope: `order:${index}` } }).then((r) => r.json());
  await runPool(50, concurrency, (index) => create(count + index)); // warm-up, other scopes
  const { bytes, hold } = await kept(gc, async () => {
    await runPool(count, concurrency, create);
    return sureFetch;
  });
  return hold === undefined ? 0 : bytes / count;
}

/** Runs the benchmark and returns its rows, plus the heap kept per stored record. */
export async function runOverheadBench(): Promise<{ rows: Array<Record<string, string | number>>; recordBytes: number }> {
  const gc = exposedGc();
  const server = await startServer();
  const url = `${server.url}/v1/orders/ord_1842`;
  try {
    const clients = await overheadClients();
    const series = (): Map<string, number[]> => new Map<string, number[]>(clients.map(([name]) => [name, []]));
    const [rates, ratios, cpus, cpuRatios] = [series(), series(), series(), series()];
    const random = seededRandom(0x5eed);
    for (let round = 0; round <= rounds; round += 1) {
      const order = shuffled(clients, random);
      const results = new Map<string, { rate: number; cpuUs: number }>();
      for (const [name, client] of order) {
        await runPool(LEAD_IN, concurrency, () => client(url));
        results.set(name, await measure(client, url, round === 0 ? WARM_UP_CALLS : calls));
      }
      if (round === 0) continue;
      const raw = results.get('raw fetch') ?? { rate: 1, cpuUs: 1 };
      for (const [name] of clients) {
        const { rate, cpuUs } = results.get(name) ?? { rate: 0, cpuUs: 0 };
        rates.get(name)?.push(rate);
        ratios.get(name)?.push(rate / raw.rate);
        cpus.get(name)?.push(cpuUs);
        cpuRatios.get(name)?.push(raw.cpuUs / cpuUs);
      }
    }
    const rows: Array<Record<string, string | number>> = [];
    for (const [name, client] of clients) {
      const { bytes, gcMs } = await allocation(() => runPool(calls, concurrency, () => client(url)));
      const { bytes: keptBytes } = await kept(gc, () => runPool(calls, concurrency, () => client(url)));
      rows.push({
        client: name,
        'calls/s': Math.round(median(rates.get(name) ?? [])),
        'vs raw fetch': `${median(ratios.get(name) ?? []).toFixed(2)}x`,
        'rounds p25–p75': middleHalf(ratios.get(name) ?? []),
        'cpu µs/call': Math.round(median(cpus.get(name) ?? [])),
        'vs raw (cpu)': `${median(cpuRatios.get(name) ?? []).toFixed(2)}x`,
        'alloc/call': `${(bytes / calls / 1024).toFixed(1)} KiB`,
        'gc ms/1k': (gcMs * (1000 / calls)).toFixed(1),
        'kept/call': `${Math.round(keptBytes / calls)} B`,
      });
    }
    return { rows, recordBytes: await recordBytes(gc, server.url, calls) };
  } finally {
    await server.close();
  }
}

/** What the benchmark measures, for its heading. */
export function describeOverheadBench(): string {
  const where = process.env.BENCH_OVERHEAD_SERVER === 'inline' ? 'in this process' : 'in a child process';
  return `surefetch as built (${surefetchBuildName()}); GET of a small JSON body, keep-alive loopback server ${where}, concurrency ${concurrency}, ${rounds} rounds of ${calls} calls per client (medians; ratio per round to raw fetch)`;
}
