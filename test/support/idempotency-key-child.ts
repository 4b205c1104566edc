// A job worker that sends one create under its scope through a Redis request store with an
// `Idempotency-Key` header, and prints `done <status>`; the key test SIGKILLs the first one
// mid-call and re-runs the scope in a second process.
import { createFetch } from '../../src/pipeline/create-fetch.js';
import { idempotency } from '../../src/idempotency/idempotency.js';
import { retry } from '../../src/retry/retry.js';
import { redisStore } from '../../src/store/redis-store.js';

const env = (name: string): string => process.env[name] ?? '';
const store = redisStore({ url: env('STORE_URL'), namespace: env('NAMESPACE') });
const sureFetch = createFetch({
  middleware: [idempotency({ store, keyHeader: 'Idempotency-Key', leaseMs: 300, waitForOwnerMs: 10_000, pollMs: 50 }), retry({ baseDelayMs: 10 })],
});
const response = await sureFetch(`${env('API_URL')}/v1/orders`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ sku: 'SKU-1', quantity: 1 }),
  surefetch: { idempotencyScope: env('SCOPE') },
});
process.stdout.write(`done ${String(response.status)}\n`);
await store.close();
