/**
 * `npm run bench`: every benchmark, each running surefetch and its peers side by side in this
 * one process. Set BENCH_ONLY=creates (or rate-limit, rate-limit-retry-after, rate-limit-cluster,
 * throttle, partitions, outage, crash) to run one.
 */
import { printTable } from './harness.js';

const only = process.env.BENCH_ONLY;
const benches: Array<[string, () => Promise<void>]> = [
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
    'outage',
    async () => {
      const { runOutageBench, describeOutageBench } = await import('./outage.js');
      console.log(describeOutageBench());
      printTable(await runOutageBench());
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

for (const [name, run] of benches) {
  if (only !== undefined && only !== name) continue;
  console.log(`\n=== ${name}`);
  await run();
}
