/**
 * The overhead benchmark with one surefetch pipeline per process. The main overhead benchmark
 * runs every client in one process, eight surefetch pipelines among them; code they share (the
 * pipeline's own, undici's) then sees all of them, and its call sites turn polymorphic, which an
 * application with one pipeline does not pay. Here each run is a fresh process holding raw fetch
 * and one pipeline (bare or full, and with `BENCH_OVERHEAD_BASELINE` another build's full
 * pipeline), against the same child-process server, for `BENCH_OVERHEAD_ALONE_RUNS` runs per
 * pipeline (default 4, interleaved). Reported per pipeline: the median over runs of its ratio to
 * raw fetch (each run's own median over rounds), the lowest and highest run, and the CPU per
 * call it adds to raw fetch's in the same process.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median } from './harness.js';
import { startServer } from './overhead.js';

const child = fileURLToPath(new URL('./overhead-alone-child.ts', import.meta.url));
const runs = Number(process.env.BENCH_OVERHEAD_ALONE_RUNS ?? 4);

interface ChildResult {
  readonly rawCpuUs: number;
  readonly cpuUs: number;
  readonly ratio: number;
}

function runChild(url: string, kind: string, other: string | undefined): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', child, url, kind, ...(other === undefined ? [] : [other])];
    const worker = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    worker.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    worker.once('exit', (code) => {
      const line = output.trim().split('\n').at(-1) ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as ChildResult);
      else reject(new Error(`overhead-alone child (${kind}) exited with ${String(code)}: ${output.slice(-400)}`));
    });
  });
}

/** Runs the pipelines, each alone in its process, and returns one row per pipeline. */
export async function runOverheadAloneBench(): Promise<Array<Record<string, string | number>>> {
  const baseline = process.env.BENCH_OVERHEAD_BASELINE;
  const pipelines: Array<[string, string, string | undefined]> = [
    ['surefetch bare', 'bare', undefined],
    ['surefetch full', 'full', undefined],
    ...(baseline === undefined || baseline === '' ? [] : [['baseline full', 'full', baseline] as [string, string, string]]),
  ];
  const server = await startServer();
  const results = new Map<string, ChildResult[]>(pipelines.map(([name]) => [name, []]));
  try {
    for (let run = 0; run < runs; run += 1) {
      for (const [name, kind, other] of pipelines) results.get(name)?.push(await runChild(`${server.url}/v1/orders/ord_1842`, kind, other));
    }
  } finally {
    await server.close();
  }
  return pipelines.map(([name]) => {
    const all = results.get(name) ?? [];
    const ratios = all.map((result) => result.ratio);
    return {
      client: name,
      'vs raw fetch': `${median(ratios).toFixed(2)}x`,
      'runs (low–high)': `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}x`,
      'added cpu µs/call': Math.round(median(all.map((result) => result.cpuUs - result.rawCpuUs))),
    };
  });
}
