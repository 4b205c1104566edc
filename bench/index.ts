/**
 * `npm run bench`: every benchmark, each running surefetch and its peers side by side in this
 * one process. Set BENCH_ONLY to one name below (creates, crash, rate-limit, throttle, …) to run one;
 * `overhead-profile` (where the overhead benchmark's time goes) runs only when named.
 */
import { printTable } from './harness.js';

const only = process.env.BENCH_ONLY;
const benches: Array<[string, () => Promise<void>]> = [
  [
    'structured-fields',
    async () => {
      const { runStructuredFieldsBench } = await import('./structured-fields.js');
      printTable(runStructuredFieldsBench());
    },
  ],
  [
    'creates',
    async () => {
      // Two scenarios (as sent, normalizing); BENCH_CREATES_SCENARIO=exact|normalizing runs one.
      const { runCreatesBench } = await import('./creates.js');
      await runCreatesBench();
    },
  ],
  [
    'rate-limit',
    async () => {
      const { runRateLimitBench, describeRateLimitBench } = await import('./rate-limit.js');
      console.log(describeRateLimitBench());
      printTable(await runRateLimitBench());
    },
  ],
  [
    'rate-limit-retry-after',
    async () => {
      const { runRateLimitBench, describeRateLimitBench } = await import('./rate-limit.js');
      console.log(describeRateLimitBench({ retryAfter: true }));
      printTable(await runRateLimitBench({ retryAfter: true }));
    },
  ],
  [
    'throttle',
    async () => {
      const { runThrottleBench, describeThrottleBench } = await import('./throttle.js');
      console.log(describeThrottleBench());
      printTable(await runThrottleBench());
    },
  ],
  [
    'partitions',
    async () => {
      const { runPartitionBench, describePartitionBench } = await import('./partitions.js');
      console.log(describePartitionBench());
      printTable(await runPartitionBench());
    },
  ],
  [
    'rate-limit-cluster',
    async () => {
      const { runClusterBench, describeClusterBench } = await import('./rate-limit-cluster.js');
      console.log(describeClusterBench());
      const rows = await runClusterBench();
      if (typeof rows === 'string') console.log(rows);
      else printTable(rows);
    },
  ],
  [
    'subsecond',
    async () => {
      const { runSubsecondBench, describeSubsecondBench } = await import('./subsecond.js');
      console.log(describeSubsecondBench());
      printTable(await runSubsecondBench());
    },
  ],
  [
    'overhead',
    async () => {
      const { runOverheadBench, describeOverheadBench } = await import('./overhead.js');
      console.log(describeOverheadBench());
      const { rows, recordBytes } = await runOverheadBench();
      printTable(rows);
      console.log(`idempotency record (memory store, small JSON response kept for replay): ${Math.round(recordBytes)} B of heap per stored record`);
      const { runOwnCostBench } = await import('./overhead-own.js');
      console.log('\nsurefetch\'s own CPU per call, over a fetch that answers from memory (no network; see bench/overhead-own.ts):');
      printTable(await runOwnCostBench());
      const { runOverheadAloneBench } = await import('./overhead-alone.js');
      console.log('\nOne pipeline per process, raw fetch beside it and nothing else loaded (see bench/overhead-alone.ts):');
      printTable(await runOverheadAloneBench());
    },
  ],
  [
    'overhead-profile',
    async () => {
      const { runOverheadProfileBench, describeOverheadProfileBench } = await import('./overhead-profile.js');
      console.log(describeOverheadProfileBench());
      printTable(await runOverheadProfileBench());
    },
  ],
  [
    'outage',
    async () => {
      const { runOutageBench, describeOutageBench } = await import('./outage.js');
      console.log(describeOutageBench());
      printTable(await runOutageBench());
    },
  ],
  [
    'record-size',
    async () => {
      const { runRecordSizeBench, describeRecordSizeBench } = await import('./record-size.js');
      console.log(describeRecordSizeBench());
      printTable(await runRecordSizeBench());
    },
  ],
  [
    'crash',
    async () => {
      const { runCrashBench, describeCrashBench } = await import('./crash.js');
      console.log(describeCrashBench());
      printTable(await runCrashBench());
    },
  ],
];

// Diagnostics, run only when named.
const onDemand = new Set(['overhead-profile']);
for (const [name, run] of benches) {
  if (only === undefined ? onDemand.has(name) : only !== name) continue;
  console.log(`\n=== ${name}`);
  await run();
}
