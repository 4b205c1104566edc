/**
 * Where the overhead benchmark's time goes, per client: one CPU profile (V8's sampling profiler,
 * through node:inspector) over interleaved rounds of raw fetch and the surefetch clients against
 * the same keep-alive server in a child process, 16 in flight, each sample charged to the client
 * whose round was running. Reported per call: the main thread's busy time (samples that were not
 * idle) and its split: surefetch's own JavaScript (functions of the build under test), undici
 * (Node's fetch), garbage collection, running microtasks (promise reactions), and the rest (V8
 * builtins, streams, the socket writes' system calls, which on loopback include waking the
 * server). The differences to raw fetch's row are what each client adds, and which part of the
 * process adds it.
 *
 * A diagnostic, not the speed target (that is the overhead benchmark's ratio): sampling adds its
 * own cost to every client, and a function inlined into another is charged to that other one.
 * `BENCH_ONLY=overhead-profile`; not part of the default run.
 */
import { Session } from 'node:inspector/promises';
import type { Profiler, Runtime } from 'node:inspector';
import { surefetchBuild } from './surefetch-build.js';
import { runPool } from './harness.js';
import { startServer, surefetchPipelines } from './overhead.js';

const rounds = Number(process.env.BENCH_PROFILE_ROUNDS ?? 16);
const calls = Number(process.env.BENCH_PROFILE_CALLS ?? 2000);
const concurrency = 16;
const WARM_UP_CALLS = 5000;
const LEAD_IN = 64;
const SAMPLE_US = 100;

type Client = () => Promise<unknown>;
type Part = 'surefetch' | 'undici' | 'gc' | 'microtasks' | 'other' | 'idle';
const PARTS: readonly Exclude<Part, 'idle'>[] = ['surefetch', 'undici', 'gc', 'microtasks', 'other'];

/** What part of the process a sampled frame belongs to. */
function partOf(frame: Runtime.CallFrame, surefetchUrl: string): Part {
  if (frame.functionName === '(idle)') return 'idle';
  if (frame.functionName === '(garbage collector)') return 'gc';
  if (frame.functionName === 'runMicrotasks') return 'microtasks';
  if (frame.url.startsWith(surefetchUrl)) return 'surefetch';
  if (frame.url.includes('undici')) return 'undici';
  return 'other';
}

/** Runs the interleaved rounds under the profiler and returns one row per client. */
export async function runOverheadProfileBench(): Promise<Array<Record<string, string | number>>> {
  const { createFetch } = await surefetchBuild();
  // The folder the measured build's files are loaded from (dist/, or src/ with BENCH_SUREFETCH=src).
  const surefetchUrl = new URL('.', import.meta.resolve(process.env.BENCH_SUREFETCH === 'src' ? '../src/index.ts' : '../dist/index.js')).href;
  const server = await startServer();
  const url = `${server.url}/v1/orders/ord_1842`;
  const clients: Array<[string, Client]> = [
    ['raw fetch', async () => (await fetch(url)).json()],
    ...(await surefetchPipelines()).map(([name, middleware]): [string, Client] => {
      const sureFetch = createFetch({ middleware: middleware() });
      return [name, async () => (await sureFetch(url)).json()];
    }),
  ];
  try {
    for (const [, client] of clients) await runPool(WARM_UP_CALLS, concurrency, client);
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: SAMPLE_US });
    await session.post('Profiler.start');
    // Each timed stretch, by client: [start, end] in µs on the monotonic clock the profile uses.
    const spans: Array<{ client: string; from: number; to: number }> = [];
    for (let round = 0; round < rounds; round += 1) {
      for (const [name, client] of round % 2 === 0 ? clients : [...clients].reverse()) {
        await runPool(LEAD_IN, concurrency, client);
        const from = Number(process.hrtime.bigint() / 1000n);
        await runPool(calls, concurrency, client);
        spans.push({ client: name, from, to: Number(process.hrtime.bigint() / 1000n) });
      }
    }
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    return rowsOf(profile, spans, clients.map(([name]) => name), surefetchUrl);
  } finally {
    await server.close();
  }
}

function rowsOf(profile: Profiler.Profile, spans: ReadonlyArray<{ client: string; from: number; to: number }>, names: readonly string[], surefetchUrl: string): Array<Record<string, string | number>> {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const totals = new Map(names.map((name) => [name, new Map<Part, number>()]));
  const ordered = [...spans].sort((a, b) => a.from - b.from);
  let at = profile.startTime;
  let span = 0;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let index = 0; index < samples.length; index += 1) {
    at += deltas[index] ?? 0;
    while (span < ordered.length && ordered[span]!.to < at) span += 1;
    const current = ordered[span];
    if (current === undefined || current.from > at) continue;
    const frame = frames.get(samples[index]!);
    if (frame === undefined) continue;
    const part = partOf(frame, surefetchUrl);
    const parts = totals.get(current.client)!;
    // A sample stands for the time until the next one.
    parts.set(part, (parts.get(part) ?? 0) + (deltas[index + 1] ?? SAMPLE_US));
  }
  const perCall = (name: string, part: Part): number => (totals.get(name)?.get(part) ?? 0) / (rounds * calls);
  const busy = (name: string): number => PARTS.reduce((sum, part) => sum + perCall(name, part), 0);
  const raw = busy(names[0]!);
  return names.map((name) => ({
    client: name,
    'busy µs/call': busy(name).toFixed(1),
    'vs raw': (raw / busy(name)).toFixed(2) + 'x',
    'added µs': (busy(name) - raw).toFixed(1),
    ...Object.fromEntries(PARTS.map((part) => [part, perCall(name, part).toFixed(1)])),
  }));
}

/** The heading printed above the table. */
export function describeOverheadProfileBench(): string {
  return `Where the time goes (one CPU profile over ${rounds} interleaved rounds of ${calls} calls per client, sampled every ${SAMPLE_US} µs; main-thread µs per call, see bench/overhead-profile.ts)`;
}
