/**
 * Creates benchmark: 150 order creates at concurrency 8 against the emulated fulfillment API
 * with a fault mix, for surefetch and its peers side by side in one process. For each client it
 * counts, from the server's own records, duplicates (extra orders for one logical create),
 * missing creates, caller errors (and how many of those were for orders that do exist),
 * requests sent, and wall time.
 */
import { startFulfillment } from '../test/emulator/fulfillment.js';
import type { FaultMix } from '../test/emulator/fault.js';
import { printTable, runPool, timed } from './harness.js';
import * as peers from './creates-peers.js';
import { surefetchCreate } from './creates-surefetch.js';

const creates = Number(process.env.BENCH_CREATES ?? 150);
const concurrency = 8;
const faultMix: FaultMix = {
  routes: ['POST /v1/orders/create'],
  rates: { 'commit-then-500': 0.1, 'commit-then-reset': 0.05, 'commit-then-stall': 0.05, 'reject-500': 0.05, 'reset-before-commit': 0.03 },
  seed: 7,
};

const clients: Array<[string, peers.CreateClient | 'surefetch']> = [
  ['surefetch', 'surefetch'],
  ['naive p-retry loop', peers.naivePRetry],
  ['ky (default retry)', peers.kyDefault],
  ['ky (POST retries on)', peers.kyPostRetry],
  ['got (default retry)', peers.gotDefault],
  ['got (POST retries on)', peers.gotPostRetry],
  ['ofetch (default retry)', peers.ofetchDefault],
  ['ofetch (retry: 3)', peers.ofetchPostRetry],
];

// A call still unsettled after this long counts as hung (it is left to die with the server).
const guardMs = 15_000;
const hung = new Error('hung');
function withGuard<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(hung), guardMs);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/** Runs the creates benchmark and returns its rows. */
export async function runCreatesBench(): Promise<Array<Record<string, string | number>>> {
  const rows: Array<Record<string, string | number>> = [];
  for (const [name, client] of clients) {
    const api = await startFulfillment({ listLagMs: 100, faultMix });
    const headers = { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' };
    const create = client === 'surefetch' ? surefetchCreate() : client;
    let hungCalls = 0;
    const emails = Array.from({ length: creates }, (_, index) => `buyer-${index}@example.com`);
    const { result: outcomes, ms } = await timed(() =>
      runPool(creates, concurrency, async (index) => {
        const body = JSON.stringify({
          campaignId: 'bench',
          shipTo: { name: `Buyer ${index}`, email: emails[index], address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' },
          products: [{ sku: 'SKU-1', quantity: 1 + (index % 3) }],
        });
        try {
          await withGuard(create(`${api.url}/v1/orders/create`, headers, body, `bench-job-${index}:create-order`));
          return true;
        } catch (error) {
          if (error === hung) hungCalls += 1;
          return false;
        }
      }),
    );
    // Let late commits and stalled requests settle before counting the server's records.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const perEmail = new Map<string, number>();
    for (const order of api.records.orders) perEmail.set(order.shipTo.email, (perEmail.get(order.shipTo.email) ?? 0) + 1);
    const counts = emails.map((email) => perEmail.get(email) ?? 0);
    const errors = outcomes.filter((ok) => !ok).length;
    const falseErrors = outcomes.filter((ok, index) => !ok && (counts[index] ?? 0) > 0).length;
    rows.push({
      client: name,
      'exactly once': `${counts.filter((count) => count === 1).length}/${creates}`,
      duplicates: counts.reduce((sum, count) => sum + Math.max(0, count - 1), 0),
      missing: counts.filter((count) => count === 0).length,
      'caller errors': errors,
      [`hung > ${guardMs / 1000} s`]: hungCalls,
      'errors on landed creates': falseErrors,
      requests: api.stats.requests,
      'wall ms': ms,
    });
    await api.close();
  }
  return rows;
}

/** One paragraph saying what the creates benchmark runs. */
export function describeCreatesBench(): string {
  return (
    `${creates} order creates, concurrency ${concurrency}, per-attempt timeout ${peers.attemptTimeoutMs} ms, list lag 100 ms\n` +
    `fault mix on POST /v1/orders/create: ${JSON.stringify(faultMix.rates)} (seed ${faultMix.seed})\n`
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(describeCreatesBench());
  printTable(await runCreatesBench());
}
