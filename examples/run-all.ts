/** Runs every example in this folder; exits non-zero if one fails. */
import { main as basic } from './basic.js';
import { main as bullmqWorker } from './bullmq-worker.js';
import { main as exactlyOnce } from './exactly-once.js';
import { main as jobWorker } from './job-worker.js';
import { main as observability } from './observability.js';
import { main as openTelemetry } from './opentelemetry.js';
import { main as ownApiLookup } from './own-api-lookup.js';
import { main as pgBossWorker } from './pg-boss-worker.js';
import { main as withAxios } from './with-axios.js';
import { main as withKy } from './with-ky.js';
import { main as withOfetch } from './with-ofetch.js';
import { main as withOpenapiFetch } from './with-openapi-fetch.js';

const examples: Array<[string, () => Promise<void>]> = [
  ['basic', basic],
  ['with-ofetch', withOfetch],
  ['with-ky', withKy],
  ['with-openapi-fetch', withOpenapiFetch],
  ['with-axios', withAxios],
  ['job-worker', jobWorker],
  ['exactly-once', exactlyOnce],
  ['observability', observability],
  ['opentelemetry', openTelemetry],
  ['own-api-lookup', ownApiLookup],
  ['bullmq-worker', bullmqWorker],
  ['pg-boss-worker', pgBossWorker],
];

let failed = 0;
for (const [name, run] of examples) {
  console.log(`\n--- example: ${name}`);
  try {
    await run();
  } catch (error) {
    failed += 1;
    console.error(`example ${name} failed:`, error);
  }
}
console.log(`\nexamples: ${examples.length - failed} ran, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
