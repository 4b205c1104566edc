// One of several processes racing to claim one scope in one SQLite file: it opens the store,
// says `ready`, waits for the BARRIER file, fires CLAIMS claims of SCOPE at once and prints who
// won each (its own owner or the existing record's), as `result <json>`.
import { existsSync } from 'node:fs';
import { sqliteStore } from '../../src/store/sqlite-store.js';
import type { SqliteDriverName } from '../../src/store/sqlite-driver.js';
import { makeRecord } from './store-contract.js';

const env = (name: string): string => process.env[name] ?? '';
const store = sqliteStore({ path: env('DB'), namespace: env('NAMESPACE'), driver: env('DRIVER') as SqliteDriverName, operationTimeoutMs: 10_000 });
await store.get('warm-up');
process.stdout.write('ready\n');
while (!existsSync(env('BARRIER'))) await new Promise((resolve) => setTimeout(resolve, 2));
const owners = Array.from({ length: Number(env('CLAIMS')) }, (_, i) => `${String(process.pid)}-${String(i)}`);
const results = await Promise.all(owners.map((owner) => store.claim(makeRecord(env('SCOPE'), { owner }), 60_000)));
const outcome = results.map((r, i) => (r.claimed ? { won: owners[i] } : { lost: owners[i], existing: r.existing.owner }));
process.stdout.write(`result ${JSON.stringify(outcome)}\n`);
await store.close();
