/**
 * surefetch's own cost per call, apart from the network: the same surefetch clients as the
 * overhead benchmark, each wrapping a fetch that answers at once from memory (a new `Response`
 * of the same small JSON body, no socket), 16 in flight. Reported: this process's CPU time per
 * call, and what each client adds to calling that in-memory fetch directly. On a shared machine
 * this is the steadier figure: the network benchmark's ratios also move with what the kernel,
 * undici and the other processes cost at that moment; this one counts only work surefetch does.
 * A row sends the full pipeline's calls with a bearer token, as most APIs want, and the last
 * does the same with an `onEvent` listener (each event built, redacted and handed over).
 * It is not a substitute for the ratios to raw fetch, which are what a caller sees.
 */
import { pathToFileURL } from 'node:url';
import type { FetchFunction, Middleware } from '../src/index.js';
import { surefetchBuild } from './surefetch-build.js';
import { median, runPool } from './harness.js';
import { surefetchPipelines } from './overhead.js';

const body = JSON.stringify({ id: 'ord_1842', status: 'ok', total: 4200, currency: 'EUR', items: [1, 2, 3] });
const inMemory: FetchFunction = async () => new Response(body, { headers: { 'content-type': 'application/json' } });
const url = 'http://127.0.0.1:9/v1/orders/ord_1842';
const calls = 3000;
const rounds = 8;

/**
 * With `BENCH_OVERHEAD_BASELINE` (another build's dist/index.js, as in the overhead benchmark),
 * that build's last two rows too, measured in the same rounds.
 */
async function baselineRows(init: RequestInit): Promise<Array<[string, () => Promise<unknown>]>> {
  const path = process.env.BENCH_OVERHEAD_BASELINE;
  if (path === undefined || path === '') return [];
  const baseline = (await import(pathToFileURL(path).href)) as typeof import('../src/index.js');
  const full = (): Middleware[] => [baseline.idempotency(), baseline.retry(), baseline.circuitBreaker(), baseline.rateLimit()];
  const plain = baseline.createFetch({ fetch: inMemory, middleware: full() });
  const listened = baseline.createFetch({ fetch: inMemory, middleware: full(), onEvent: () => undefined });
  return [
    ['baseline full, bearer token', async () => (await plain(url, init)).json()],
    ['baseline … and an onEvent listener', async () => (await listened(url, init)).json()],
  ];
}

/** Runs the in-memory comparison and returns its rows. */
export async function runOwnCostBench(): Promise<Array<Record<string, string | number>>> {
  const { createFetch } = await surefetchBuild();
  const pipelines = await surefetchPipelines();
  const full = pipelines.find(([name]) => name === 'surefetch full')![1];
  // Most APIs take a credential: every layer keys its state by the API it names (host + hash).
  const withToken = createFetch({ fetch: inMemory, middleware: full() });
  // An application that logs or meters: every event built, redacted and handed to a listener.
  let heard = 0;
  const withEvents = createFetch({ fetch: inMemory, middleware: full(), onEvent: () => void (heard += 1) });
  const token = { headers: { authorization: 'Bearer sk_live_0123456789abcdefghijklmnopqrstuv' } };
  const clients: Array<[string, () => Promise<unknown>]> = [
    ['in-memory fetch alone', async () => (await inMemory(url)).json()],
    ...pipelines.map(([name, middleware]): [string, () => Promise<unknown>] => {
      const sureFetch = createFetch({ fetch: inMemory, middleware: middleware() });
      return [name, async () => (await sureFetch(url)).json()];
    }),
    ['surefetch full, bearer token', async () => (await withToken(url, token)).json()],
    ['… and an onEvent listener', async () => (await withEvents(url, token)).json()],
    ...(await baselineRows(token)),
  ];
  const samples = new Map<string, number[]>(clients.map(([name]) => [name, []]));
  for (let round = 0; round <= rounds; round += 1) {
    // The order rotates from round to round, as in the network benchmark (round 0 warms up).
    for (const [name, client] of clients.map((_, index) => clients[(index + round) % clients.length]!)) {
      const cpu = process.cpuUsage();
      await runPool(calls, 16, client);
      const { user, system } = process.cpuUsage(cpu);
      if (round > 0) samples.get(name)?.push((user + system) / calls);
    }
  }
  if (heard === 0) throw new Error('the onEvent listener heard no event');
  const alone = median(samples.get('in-memory fetch alone') ?? []);
  return clients.map(([name]) => {
    const cpuUs = median(samples.get(name) ?? []);
    return { client: name, 'cpu µs/call': cpuUs.toFixed(1), 'added µs/call': (cpuUs - alone).toFixed(1) };
  });
}
