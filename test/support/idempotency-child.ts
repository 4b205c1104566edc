// A job worker creating one order through a durable idempotency store (Redis, PostgreSQL or SQLite);
// the crash test SIGKILLs it at random points and re-runs the same scope in the parent. With
// BARRIER set, it waits after `ready` until that file exists, so racing workers start together.
import { existsSync } from 'node:fs';
import { createFetch } from '../../src/pipeline/create-fetch.js';
import { idempotency } from '../../src/idempotency/idempotency.js';
import { byRoute, fulfillmentOrders } from '../../src/recipes/index.js';
import { retry } from '../../src/retry/retry.js';
import { postgresStore } from '../../src/store/postgres-store.js';
import { redisStore } from '../../src/store/redis-store.js';
import { sqliteStore } from '../../src/store/sqlite-store.js';

const env = (name: string): string => process.env[name] ?? '';
const stores = {
  postgres: () => postgresStore({ url: env('STORE_URL'), namespace: env('NAMESPACE') }),
  // STORE_URL is the database file's path.
  sqlite: () => sqliteStore({ path: env('STORE_URL'), namespace: env('NAMESPACE') }),
  redis: () => redisStore({ url: env('STORE_URL'), namespace: env('NAMESPACE') }),
};
const store = (stores[env('STORE') as keyof typeof stores] ?? stores.redis)();
const sureFetch = createFetch({
  middleware: [
    idempotency({ store, leaseMs: Number(env('LEASE_MS') || 300), waitForOwnerMs: Number(env('WAIT_MS') || 0), pollMs: 25, existenceCheck: byRoute(fulfillmentOrders({ settleDelaysMs: [0, 100, 200] })) }),
    retry({ baseDelayMs: 20 }),
  ],
  attemptTimeoutMs: Number(env('ATTEMPT_MS') || 150),
  onEvent: (event) => {
    if (event.type === 'attempt') sends += 1;
  },
});
let sends = 0;
await store.get('warm-up');
process.stdout.write('ready\n');
while (env('BARRIER') !== '' && !existsSync(env('BARRIER'))) await new Promise((resolve) => setTimeout(resolve, 2));
const startedAt = Date.now();
const email = env('EMAIL');
const response = await sureFetch(`${env('API_URL')}/v1/orders/create`, {
  method: 'POST',
  headers: { Authorization: `Bearer ${env('API_KEY')}`, 'Content-Type': 'application/json' },
  body: JSON.stringify({ campaignId: 'crash', shipTo: { name: 'Ada', email, address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' }, products: [{ sku: 'SKU-1', quantity: 1 }] }),
  surefetch: { idempotencyScope: env('SCOPE') },
});
const id = ((await response.json()) as { id: string }).id;
process.stdout.write(`done ${response.status} ${id} sends=${String(sends)} start=${String(startedAt)} end=${String(Date.now())}\n`);
await store.close();
