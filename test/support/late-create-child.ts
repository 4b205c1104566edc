// A job worker creating one item on the late reader (test/hostile/late-reader.ts) through a
// durable idempotency store (Redis, PostgreSQL or SQLite). The crash-in-flight test SIGKILLs it once the
// API has its create, before the answer, and takes the scope over in the parent.
import { createFetch } from '../../src/pipeline/create-fetch.js';
import { idempotency } from '../../src/idempotency/idempotency.js';
import { retry } from '../../src/retry/retry.js';
import { postgresStore } from '../../src/store/postgres-store.js';
import { redisStore } from '../../src/store/redis-store.js';
import { sqliteStore } from '../../src/store/sqlite-store.js';
import { lateItemsCheck, postItem } from '../hostile/late-reader.js';

const env = (name: string): string => process.env[name] ?? '';
const stores = {
  postgres: () => postgresStore({ url: env('STORE_URL'), namespace: env('NAMESPACE') }),
  // STORE_URL is the database file's path.
  sqlite: () => sqliteStore({ path: env('STORE_URL'), namespace: env('NAMESPACE') }),
  redis: () => redisStore({ url: env('STORE_URL'), namespace: env('NAMESPACE') }),
};
const store = (stores[env('STORE') as keyof typeof stores] ?? stores.redis)();
const sureFetch = createFetch({
  // RETRY_BASE_MS: a long backoff keeps the worker waiting between attempts, to be killed there.
  middleware: [idempotency({ store, ownerAliveMs: Number(env('ALIVE_MS')), existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: Number(process.env.RETRY_BASE_MS ?? 1), maxDelayMs: 60_000 })],
  attemptTimeoutMs: Number(env('ATTEMPT_MS')),
  // Backoff without its jitter: the wait between attempts is half the ceiling, every time.
  random: () => 0.5,
});
await store.get('warm-up');
process.stdout.write('ready\n');
const response = await postItem(sureFetch, env('API_URL'), env('SCOPE'));
process.stdout.write(`done ${String(response.status)}\n`);
await store.close();
