/**
 * A process that uses a store whose backend then freezes: it claims once, says `ready`, waits for
 * a line on stdin (the parent freezes the proxy meanwhile), tries one more claim, closes the
 * store and returns without `process.exit`. The parent asserts that the process then exits.
 */
import { createInterface } from 'node:readline';
import { postgresStore } from '../../src/store/postgres-store.js';
import { redisStore } from '../../src/store/redis-store.js';
import { makeRecord, uniqueNamespace } from './store-contract.js';

const url = process.env.STORE_URL ?? '';
const options = { url, namespace: uniqueNamespace(), operationTimeoutMs: 300 };
const store = process.env.STORE_BACKEND === 'postgres' ? postgresStore({ ...options, table: process.env.STORE_TABLE }) : redisStore(options);
// The first claim connects (and on PostgreSQL creates the table) and may outlast 300 ms on a loaded
// machine; only a claim that lands proves the store worked before the freeze.
let warmed = false;
for (let i = 0; i < 20 && !warmed; i += 1) {
  warmed = await store.claim(makeRecord(`child-1-${String(i)}`), 60_000).then(
    (r) => r.claimed,
    () => false,
  );
}
if (!warmed) throw new Error('the store never answered before the freeze');
console.log('ready');
const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.once('line', () => resolve()));
lines.close();
process.stdin.destroy();
const outcome = await store.claim(makeRecord('child-2'), 60_000).then(
  () => 'claimed',
  (error: unknown) => (error instanceof Error ? error.name : 'thrown'),
);
console.log(`claim: ${outcome}`);
const closed = await store.close().then(
  () => 'resolved',
  (error: unknown) => `rejected ${String(error)}`,
);
console.log(`close: ${closed}`);
