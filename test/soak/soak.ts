/**
 * `npm run soak` (not part of `npm test`): SOAK_CREATES creates in all (default 10,000, shared
 * by the seeds; SOAK_CREATES_PER_SEED sets a count per seed instead) through `idempotency` +
 * `retry` against the fulfillment emulator with a seeded fault mix on its create route, for each
 * seed in SOAK_SEEDS (default `1,2,3`), SOAK_CONCURRENCY at once (default 50). A job whose call
 * fails is re-run under its scope, as a queue would, up to 8 runs. Then, per thousand creates:
 * every job has exactly one order, the one whose id its call returned (0 duplicates, 0 missing),
 * and between the first and the last thousand the heap (after a full GC) and the open handles
 * (`process.getActiveResourcesInfo()`) stay flat. Prints a summary; exits 1 on any failure.
 * The timings under test: SOAK_ATTEMPT_TIMEOUT_MS (3000), SOAK_SETTLE_DELAYS_MS (`0,1000,3000`),
 * SOAK_REQUEST_LIFETIME_MS (the recipe's default); SOAK_TRACE=1 prints what the API and the
 * client saw of the first duplicates.
 *
 * The API's own records and request log are emptied after each thousand (once late commits have
 * landed and been counted), so the heap measures the client alone; the request store is one
 * `memoryStore` bounded to two thousand records, reused throughout.
 */
import { byRoute, createFetch, type SurefetchEvent, fulfillmentOrders, idempotency, memoryStore, retry } from '../../src/index.js';
import { startFulfillment, type FulfillmentEmulator } from '../emulator/index.js';
import { runPool } from '../../bench/harness.js';
import { printSoakSummary, type BatchResult, type SeedResult } from './soak-report.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run the soak with node --expose-gc (npm run soak does)');
const env = (name: string, fallback: string): string => process.env[name] ?? fallback;
const seeds = env('SOAK_SEEDS', '1,2,3').split(',').map(Number);
// 10,000 creates in all by default, shared by the seeds; SOAK_CREATES_PER_SEED overrides.
const creates = Number(env('SOAK_CREATES_PER_SEED', String(Math.ceil(Number(env('SOAK_CREATES', '10000')) / seeds.length))));
const concurrency = Number(env('SOAK_CONCURRENCY', '50'));
const maxHeapGrowthMb = Number(env('SOAK_MAX_HEAP_GROWTH_MB', '3'));
const batchSize = 1000;
const maxRuns = 8;
// The timings under test (defaults: generous, for a loaded machine; see the client below).
const attemptTimeoutMs = Number(env('SOAK_ATTEMPT_TIMEOUT_MS', '3000'));
const settleDelaysMs = env('SOAK_SETTLE_DELAYS_MS', '0,1000,3000').split(',').map(Number);
// Unset: the recipe's default (twice the attempt timeout after a send that timed out).
const requestLifetimeMs = process.env.SOAK_REQUEST_LIFETIME_MS === undefined ? undefined : Number(process.env.SOAK_REQUEST_LIFETIME_MS);
// SOAK_TRACE=1 prints, for the first duplicates of each seed, what the API received for that recipient.
const trace = env('SOAK_TRACE', '') === '1';

const faultMix = {
  routes: ['POST /v1/orders/create'],
  rates: {
    delay: 0.05, 'commit-then-500': 0.04, 'commit-then-reset': 0.02, 'commit-then-stall': 0.02,
    'commit-late': 0.02, 'reject-500': 0.04, 'reset-before-commit': 0.02, 'proxy-502': 0.02,
  },
  delayMs: 30,
  // Longer than the attempt timeout: the attempt gives up on an order that has landed.
  stallMs: 3500,
  commitDelayMs: 100,
} as const;

function heapNow(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function soakSeed(seed: number): Promise<SeedResult> {
  const api: FulfillmentEmulator = await startFulfillment({ faultMix: { ...faultMix, seed }, seed });
  const events: SurefetchEvent[] = [];
  const store = memoryStore({ maxEntries: 2 * batchSize });
  const sureFetch = createFetch({
    middleware: [idempotency({ store, existenceCheck: byRoute(fulfillmentOrders({ settleDelaysMs, ...(requestLifetimeMs === undefined ? {} : { requestLifetimeMs }) })) }), retry({ baseDelayMs: 5, maxAttempts: 4 })],
    // Generous, for a loaded machine: an attempt that times out while its request still waits
    // unread at the API lands after the lookups if they all ran before it was read (a shorter
    // timeout and settle window, 1 s and 0.75 s, gave 95 duplicates in 10,000 at load 12 on 2 cores).
    attemptTimeoutMs,
    ...(trace ? { onEvent: (event: SurefetchEvent) => events.push(event) } : {}),
  });
  const headers = { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' };

  /** One job: runs its create until it succeeds (at most `maxRuns` runs); the id it got, and how many runs. */
  async function job(index: number): Promise<{ email: string; id?: string; runs: number; lastError?: string }> {
    const email = `soak-${String(seed)}-${String(index)}@example.com`;
    const body = JSON.stringify({ campaignId: 'soak', shipTo: { name: 'Ada', email, address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' }, products: [{ sku: 'SKU-1', quantity: 1 }] });
    let lastError: string | undefined;
    for (let runs = 1; runs <= maxRuns; runs += 1) {
      try {
        const response = await sureFetch(`${api.url}/v1/orders/create`, { method: 'POST', headers, body, surefetch: { idempotencyScope: `soak-${String(seed)}:job-${String(index)}` } });
        if (response.ok) return { email, id: ((await response.json()) as { id: string }).id, runs };
        lastError = `HTTP ${String(response.status)}`;
        await response.body?.cancel();
      } catch (error) {
        lastError = (error as { code?: string }).code ?? String(error);
        // As a queue would, wait a little longer before each re-run.
        await settle(200 * runs);
      }
    }
    return { email, runs: maxRuns, ...(lastError === undefined ? {} : { lastError }) };
  }

  const batches: BatchResult[] = [];
  const started = Date.now();
  for (let from = 0; from < creates; from += batchSize) {
    const count = Math.min(batchSize, creates - from);
    const jobs = await runPool(count, concurrency, (i) => job(from + i));
    // Late commits (commitDelayMs) land within a fraction of a second; stalled answers within stallMs.
    await settle(500);
    const ordersByEmail = new Map<string, string[]>();
    for (const order of api.records.orders) ordersByEmail.set(order.shipTo.email, [...(ordersByEmail.get(order.shipTo.email) ?? []), order.id]);
    let duplicates = 0;
    let missing = 0;
    let wrongId = 0;
    const errors = new Map<string, number>();
    for (const done of jobs) {
      const ids = ordersByEmail.get(done.email) ?? [];
      duplicates += Math.max(0, ids.length - 1);
      if (trace && ids.length > 1 && duplicates <= 3) printTimeline(api, done.email, events);
      if (done.id === undefined || ids.length === 0) missing += 1;
      else if (!ids.includes(done.id)) wrongId += 1;
      if (done.lastError !== undefined) errors.set(done.lastError, (errors.get(done.lastError) ?? 0) + 1);
    }
    const reruns = jobs.reduce((sum, done) => sum + done.runs - 1, 0);
    const sends = api.requests.filter((r) => r.method === 'POST').length;
    api.records.orders.length = 0;
    api.requests.length = 0;
    events.length = 0;
    batches.push({ duplicates, missing, wrongId, reruns, sends, heapUsed: heapNow(), handles: process.getActiveResourcesInfo().length, errors: [...errors].map(([code, n]) => `${code}×${String(n)}`).join(' ') });
  }
  await store.close();
  await api.close();
  return { seed, creates, ms: Date.now() - started, batches };
}

/** What the API received for one recipient, in order, with times relative to the first. */
function printTimeline(api: FulfillmentEmulator, email: string, events: readonly SurefetchEvent[]): void {
  const mine = api.requests.filter((r) => r.query.email === email || (r.body as { shipTo?: { email?: string } } | undefined)?.shipTo?.email === email);
  const start = mine[0]?.time ?? 0;
  console.log(`duplicate for ${email}:`);
  for (const r of mine) console.log(`  +${String(r.time - start)} ms ${r.method} ${r.path} ${r.fault === undefined ? '' : JSON.stringify(r.fault)} -> ${r.reset === true ? 'reset' : String(r.status)}`);
  for (const order of api.records.orders.filter((o) => o.shipTo.email === email)) console.log(`  order ${order.id} created +${String(Date.parse(order.createdAt) - start)} ms`);
  const ids = new Set(events.filter((e) => e.url.includes(encodeURIComponent(email)) || e.url.includes(email)).map((e) => e.clientRequestId));
  for (const e of events.filter((x) => ids.has(x.clientRequestId))) {
    const { type, attempt, time, purpose } = e;
    const extra = Object.entries(e).filter(([k]) => !['type', 'attempt', 'time', 'purpose', 'operation', 'clientRequestId', 'method', 'url'].includes(k)).map(([k, v]) => `${k}=${String(v)}`).join(' ');
    console.log(`  client +${String(time - start)} ms ${purpose ?? 'create'} #${String(attempt)} ${type} ${extra}`);
  }
}

const handlesBefore = process.getActiveResourcesInfo().length;
const results: SeedResult[] = [];
for (const seed of seeds) results.push(await soakSeed(seed));
await settle(200);
const handlesAfter = process.getActiveResourcesInfo().length;
const failures = printSoakSummary(results, { maxHeapGrowthMb, maxHandleGrowth: 2 * concurrency + 10, handlesBefore, handlesAfter });
process.exitCode = failures.length === 0 ? 0 : 1;
