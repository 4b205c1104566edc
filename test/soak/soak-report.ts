/** The soak's verdicts and printed summary (see soak.ts). */
import { printTable } from '../../bench/harness.js';

/** What one thousand creates left behind. */
export interface BatchResult {
  readonly duplicates: number;
  readonly missing: number;
  /** Jobs whose call returned an id other than that of the one order made for them. */
  readonly wrongId: number;
  /** Runs beyond the first, over all jobs of the batch. */
  readonly reruns: number;
  /** Creates the API received. */
  readonly sends: number;
  /** After a full GC, once the batch was counted and the API's records emptied. */
  readonly heapUsed: number;
  readonly handles: number;
  /** The last error of jobs that never succeeded, by code. */
  readonly errors: string;
}

/** One seed's run. */
export interface SeedResult {
  readonly seed: number;
  readonly creates: number;
  readonly ms: number;
  readonly batches: readonly BatchResult[];
}

/** Bounds of the flatness checks. */
export interface SoakBounds {
  /** Most heap growth between the first and the last thousand. */
  readonly maxHeapGrowthMb: number;
  /** Most growth of open handles between the first and the last thousand (keep-alive sockets come and go). */
  readonly maxHandleGrowth: number;
  readonly handlesBefore: number;
  readonly handlesAfter: number;
}

const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);

/** Prints a row per seed and every failed check; returns the failures (none: the soak passed). */
export function printSoakSummary(results: readonly SeedResult[], bounds: SoakBounds): string[] {
  const failures: string[] = [];
  const rows = results.map(({ seed, creates, ms, batches }) => {
    const sum = (key: 'duplicates' | 'missing' | 'wrongId' | 'reruns' | 'sends'): number => batches.reduce((total, batch) => total + batch[key], 0);
    const first = batches[0];
    const last = batches[batches.length - 1];
    const growth = first === undefined || last === undefined ? 0 : last.heapUsed - first.heapUsed;
    const handleGrowth = first === undefined || last === undefined ? 0 : last.handles - first.handles;
    if (sum('duplicates') > 0) failures.push(`seed ${String(seed)}: ${String(sum('duplicates'))} duplicate orders`);
    if (sum('missing') > 0) failures.push(`seed ${String(seed)}: ${String(sum('missing'))} jobs without their order (${batches.map((b) => b.errors).filter(Boolean).join(' ')})`);
    if (sum('wrongId') > 0) failures.push(`seed ${String(seed)}: ${String(sum('wrongId'))} jobs got another order's id`);
    if (growth > bounds.maxHeapGrowthMb * 1e6) failures.push(`seed ${String(seed)}: heap grew ${mb(growth)} MB from the first to the last thousand (bound ${String(bounds.maxHeapGrowthMb)} MB)`);
    // Keep-alive sockets (both ends) come and go with the pool; a leak grows with every thousand.
    if (handleGrowth > bounds.maxHandleGrowth) failures.push(`seed ${String(seed)}: open handles grew from ${String(first?.handles)} to ${String(last?.handles)}`);
    return {
      seed, creates, seconds: (ms / 1000).toFixed(1), 'sends/create': (sum('sends') / creates).toFixed(3), 're-runs': sum('reruns'),
      duplicates: sum('duplicates'), missing: sum('missing'), 'wrong id': sum('wrongId'),
      'heap first→last MB': `${mb(first?.heapUsed ?? 0)}→${mb(last?.heapUsed ?? 0)}`, 'handles first→last': `${String(first?.handles)}→${String(last?.handles)}`,
    };
  });
  if (bounds.handlesAfter > bounds.handlesBefore) failures.push(`open handles after the soak: ${String(bounds.handlesAfter)}, before: ${String(bounds.handlesBefore)}`);
  printTable(rows);
  console.log(`open handles before the soak ${String(bounds.handlesBefore)}, after ${String(bounds.handlesAfter)}`);
  console.log(failures.length === 0 ? 'soak passed' : `soak FAILED:\n  ${failures.join('\n  ')}`);
  return failures;
}
