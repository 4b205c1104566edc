/**
 * One process of the `overhead-alone` benchmark (see overhead-alone.ts): raw fetch and one
 * surefetch pipeline, nothing else loaded, in alternating rounds against the server at `url`.
 * Prints one JSON line: the median CPU µs per call of each, and the median ratio of the
 * pipeline's calls/s to raw fetch's in the same round.
 *
 * Usage: node --import tsx bench/overhead-alone-child.ts <url> <bare|full> [<dist/index.js of another build>]
 */
import { pathToFileURL } from 'node:url';
import { median, runPool } from './harness.js';
import { surefetchBuild } from './surefetch-build.js';

const [url = '', kind = 'full', other] = process.argv.slice(2);
const rounds = Number(process.env.BENCH_OVERHEAD_ALONE_ROUNDS ?? 12);
const calls = 1000;
// Round 0 (untimed): a fresh process takes some thousands of calls before undici's code and the
// pipeline's run optimized (measured in windows of 1000 calls: both settle after about 4000).
const warmUpCalls = 5000;
const surefetch = other === undefined ? await surefetchBuild() : ((await import(pathToFileURL(other).href)) as typeof import('../src/index.js'));
const middleware = kind === 'full' ? [surefetch.idempotency(), surefetch.retry(), surefetch.circuitBreaker(), surefetch.rateLimit()] : [];
const sureFetch = surefetch.createFetch({ middleware });
const clients: Record<'raw' | 'surefetch', () => Promise<unknown>> = {
  raw: async () => (await fetch(url)).json(),
  surefetch: async () => (await sureFetch(url)).json(),
};
const cpu: Record<'raw' | 'surefetch', number[]> = { raw: [], surefetch: [] };
const ratios: number[] = [];
for (let round = 0; round <= rounds; round += 1) {
  const rate: Record<string, number> = {};
  // Round 0 warms up (see warmUpCalls); the order alternates so that neither client always goes first.
  for (const name of round % 2 === 0 ? (['raw', 'surefetch'] as const) : (['surefetch', 'raw'] as const)) {
    const before = process.cpuUsage();
    const started = performance.now();
    await runPool(round === 0 ? warmUpCalls : calls, 16, clients[name]);
    const { user, system } = process.cpuUsage(before);
    rate[name] = calls / (performance.now() - started);
    if (round > 0) cpu[name].push((user + system) / calls);
  }
  if (round > 0) ratios.push((rate.surefetch ?? 0) / (rate.raw ?? 1));
}
console.log(JSON.stringify({ rawCpuUs: median(cpu.raw), cpuUs: median(cpu.surefetch), ratio: median(ratios) }));
