/**
 * Creates benchmark: order creates at concurrency 8 against the emulated fulfillment API with
 * a fault mix, for surefetch and its peers side by side in one process, in two scenarios: an API
 * that stores creates as sent, and one that stores them normalized with pages of at most 50 (as
 * many real APIs do). For each client it counts, from the server's own records, duplicates (extra
 * orders for one logical create), missing creates, caller errors (and how many of those were for
 * orders that do exist), requests sent, wall time, and wall time relative to ky with POST retries.
 */
import { startFulfillment, type FulfillmentOptions } from '../test/emulator/fulfillment.js';
import type { FaultMix } from '../test/emulator/fault.js';
import { printTable, runPool, timed } from './harness.js';
import * as peers from './creates-peers.js';
import { surefetchCreate } from './creates-surefetch.js';

/** One run of every client against a freshly started emulator per client. */
export interface CreatesScenario {
  /** Short name (`BENCH_CREATES_SCENARIO` selects by it). */
  readonly name: string;
  /** What the scenario imitates, one line. */
  readonly title: string;
  /** Logical creates per client. */
  readonly creates: number;
  /** The emulator of each client's run. */
  readonly api: FulfillmentOptions;
  /** The request body of logical create `index`. */
  body(index: number): Record<string, unknown>;
}

type Row = Record<string, string | number>;

const concurrency = 8;
const baselineClient = 'ky (POST retries on)';
const faultMix: FaultMix = {
  routes: ['POST /v1/orders/create'],
  rates: { 'commit-then-500': 0.1, 'commit-then-reset': 0.05, 'commit-then-stall': 0.05, 'reject-500': 0.05, 'reset-before-commit': 0.03 },
  seed: 7,
};

// surefetch rows are factories: each run gets a fresh pipeline and store.
type ClientEntry = peers.CreateClient | { readonly make: () => peers.CreateClient };
const clients: Array<[string, ClientEntry]> = [
  ['surefetch (recipe defaults)', { make: () => surefetchCreate() }],
  ['surefetch (writeReference)', { make: () => surefetchCreate({ writeReference: true }) }],
  ['surefetch (soleWriter)', { make: () => surefetchCreate({ soleWriter: true }) }],
  ['naive p-retry loop', peers.naivePRetry],
  ['ky (default retry)', peers.kyDefault],
  [baselineClient, peers.kyPostRetry],
  ['got (default retry)', peers.gotDefault],
  ['got (POST retries on)', peers.gotPostRetry],
  ['ofetch (default retry)', peers.ofetchDefault],
  ['ofetch (retry: 3)', peers.ofetchPostRetry],
];

/** The scenarios `npm run bench` runs, in order. */
export const createsScenarios: readonly CreatesScenario[] = [
  {
    name: 'exact',
    title: 'creates against an API that stores them as sent',
    creates: Number(process.env.BENCH_CREATES ?? 150),
    api: { listLagMs: 100, faultMix },
    body: (index) => ({
      campaignId: 'bench',
      shipTo: { name: `Buyer ${index}`, email: `buyer-${index}@example.com`, address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' },
      products: [{ sku: 'SKU-1', quantity: 1 + (index % 3) }],
    }),
  },
  {
    name: 'normalizing',
    title: 'creates against a normalizing API (emails lowercased, strings trimmed + NFC, defaults added, numbers as strings)',
    creates: Number(process.env.BENCH_NORMALIZED_CREATES ?? 100),
    api: { listLagMs: 100, faultMix, storage: 'normalized', maxPageSize: 50 },
    body: (index) => ({
      campaignId: 'bench',
      shipTo: {
        // A trailing space on every name; every third name has an accent sent decomposed (NFD).
        name: index % 3 === 0 ? `Zoe\u0308 Buyer ${index} ` : `Buyer ${index} `,
        email: `Buyer-${index}@Example.com`,
        address1: '1 Main St',
        city: 'Springfield',
        zip: '12345',
        country: 'US',
      },
      products: [{ sku: 'SKU-1', quantity: 1 + (index % 3) }],
    }),
  },
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

/** The logical create an order belongs to: its recipient email, lower-cased (as a normalizing API stores it). */
function logicalKey(email: unknown): string {
  return String(email).toLowerCase();
}

async function runClient(scenario: CreatesScenario, name: string, client: ClientEntry): Promise<Row> {
  const { creates } = scenario;
  const api = await startFulfillment(scenario.api);
  const headers = { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' };
  const create = typeof client === 'function' ? client : client.make();
  let hungCalls = 0;
  const bodies = Array.from({ length: creates }, (_, index) => scenario.body(index));
  const keys = bodies.map((body) => logicalKey((body.shipTo as { email: string }).email));
  const { result: outcomes, ms } = await timed(() =>
    runPool(creates, concurrency, async (index) => {
      try {
        const body = JSON.stringify(bodies[index]);
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
  const perKey = new Map<string, number>();
  for (const order of api.records.orders) {
    const key = logicalKey(order.shipTo.email);
    perKey.set(key, (perKey.get(key) ?? 0) + 1);
  }
  const counts = keys.map((key) => perKey.get(key) ?? 0);
  const errors = outcomes.filter((ok) => !ok).length;
  const falseErrors = outcomes.filter((ok, index) => !ok && (counts[index] ?? 0) > 0).length;
  await api.close();
  return {
    client: name,
    'exactly once': `${counts.filter((count) => count === 1).length}/${creates}`,
    duplicates: counts.reduce((sum, count) => sum + Math.max(0, count - 1), 0),
    missing: counts.filter((count) => count === 0).length,
    'caller errors': errors,
    [`hung > ${guardMs / 1000} s`]: hungCalls,
    'errors on landed creates': falseErrors,
    requests: api.stats.requests,
    'wall ms': ms,
  };
}

/** Runs every client through `scenario` and returns its rows, with wall time as a ratio to ky with POST retries. */
export async function runCreatesScenario(scenario: CreatesScenario): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [name, client] of clients) rows.push(await runClient(scenario, name, client));
  const baseline = rows.find((row) => row.client === baselineClient)?.['wall ms'];
  for (const row of rows) {
    const ratio = typeof baseline === 'number' && baseline > 0 ? Number(row['wall ms']) / baseline : undefined;
    row[`wall / ${baselineClient}`] = ratio === undefined ? 'n/a' : `${ratio.toFixed(2)}×`;
  }
  return rows;
}

/** The scenarios selected by `BENCH_CREATES_SCENARIO` (a scenario name), or all of them. */
export function selectedCreatesScenarios(): readonly CreatesScenario[] {
  const only = process.env.BENCH_CREATES_SCENARIO;
  return only === undefined ? createsScenarios : createsScenarios.filter((scenario) => scenario.name === only);
}

/** One paragraph saying what a creates scenario runs. */
export function describeCreatesScenario(scenario: CreatesScenario): string {
  const { storage, maxPageSize } = scenario.api;
  const shape = storage === 'normalized' ? `, storage normalized, max page size ${maxPageSize ?? 100}` : '';
  return (
    `-- ${scenario.name}: ${scenario.title}\n` +
    `${scenario.creates} order creates, concurrency ${concurrency}, per-attempt timeout ${peers.attemptTimeoutMs} ms, ` +
    `list lag ${scenario.api.listLagMs ?? 0} ms${shape}\n` +
    `fault mix on POST /v1/orders/create: ${JSON.stringify(faultMix.rates)} (seed ${faultMix.seed})\n`
  );
}

/** Runs the selected scenarios, printing a description and a table for each. */
export async function runCreatesBench(): Promise<void> {
  for (const scenario of selectedCreatesScenarios()) {
    console.log(describeCreatesScenario(scenario));
    printTable(await runCreatesScenario(scenario));
    console.log('');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runCreatesBench();
