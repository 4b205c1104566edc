/**
 * `BENCH_ONLY=record-size`: the heap a `memoryStore` spends per request record. Stores 10,000
 * records the way a call leaves them (claimed pending, then updated to `succeeded` with a small
 * JSON answer and its usual headers), and divides the growth of `heapUsed` (after a full GC) by
 * the count. Beside it: the same records kept as plain objects in a `Map`, and the bytes of their
 * JSON, so the store's overhead reads as a ratio. Needs `--expose-gc`: without it, re-runs itself
 * in a child with the flag.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { memoryStore } from '../src/store/memory-store.js';
import type { RequestRecord } from '../src/store/record.js';

const count = Number(process.env.RECORD_SIZE_COUNT ?? 10_000);
const gc = (globalThis as { gc?: () => void }).gc;

function recordOf(index: number): { pending: RequestRecord; succeeded: RequestRecord } {
  const now = Date.now();
  const pending: RequestRecord = {
    scope: `job-${String(100_000 + index)}:create-order`,
    clientRequestId: crypto.randomUUID(),
    state: 'pending',
    operation: 'POST /v1/orders/create',
    fingerprint: `sha256:${index.toString(16).padStart(64, 'a')}`,
    attempts: 1,
    firstSentAt: now,
    lastSent: 'ambiguous',
    owner: crypto.randomUUID(),
    leaseUntil: now + 30_000,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  const body = JSON.stringify({ id: `ord_${String(index)}`, status: 'accepted', createdAt: new Date(now).toISOString(), total: { amount: 1299, currency: 'USD' } });
  const headers = { 'content-type': 'application/json; charset=utf-8', date: new Date(now).toUTCString(), 'x-request-id': crypto.randomUUID(), etag: `W/"${index.toString(16)}"` };
  const succeeded: RequestRecord = { ...pending, state: 'succeeded', lastSent: 'delivered', leaseUntil: now, version: 3, response: { status: 201, headers, body, bodyEncoding: 'utf8' } };
  return { pending, succeeded };
}

function heap(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

async function measure(): Promise<Array<Record<string, string | number>>> {
  const records = Array.from({ length: count }, (_, index) => recordOf(index));
  const jsonBytes = records.reduce((sum, { succeeded }) => sum + Buffer.byteLength(JSON.stringify(succeeded)), 0) / count;

  const beforeStore = heap();
  const store = memoryStore({ maxEntries: count });
  for (const { pending, succeeded } of records) {
    await store.claim(pending, 86_400_000);
    await store.update({ ...succeeded, version: 2 }, 1, 86_400_000);
    await store.update(succeeded, 2, 86_400_000);
  }
  const storeBytes = (heap() - beforeStore) / count;
  if ((await store.get(records[count - 1]?.succeeded.scope ?? ''))?.state !== 'succeeded') throw new Error('the store lost a record');

  // The same records as live objects: what a store that kept them unencoded would cost.
  const beforeMap = heap();
  const map = new Map<string, RequestRecord>();
  for (const { succeeded } of records) map.set(succeeded.scope, structuredClone(succeeded));
  const mapBytes = (heap() - beforeMap) / count;
  await store.close();

  const row = (name: string, bytes: number): Record<string, string | number> => ({
    store: name, 'bytes/record': Math.round(bytes), 'x JSON size': (bytes / jsonBytes).toFixed(2), 'MB per 10,000': ((bytes * 10_000) / 1e6).toFixed(1),
  });
  return [row('surefetch memoryStore', storeBytes), row('Map of plain objects', mapBytes), row('JSON text (no overhead)', jsonBytes)];
}

/** Runs the measurement (in a child with `--expose-gc` when this process lacks it) and returns its table. */
export async function runRecordSizeBench(): Promise<Array<Record<string, string | number>>> {
  if (gc !== undefined) return measure();
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url)], { encoding: 'utf8', env: process.env });
  if (child.status !== 0) throw new Error(`record-size child failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as Array<Record<string, string | number>>;
}

/** What the bench measures, for the report. */
export function describeRecordSizeBench(): string {
  return `heap per request record: ${String(count)} succeeded records (small JSON answer, 4 headers), heapUsed after gc`;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && gc !== undefined) process.stdout.write(JSON.stringify(await measure()));
