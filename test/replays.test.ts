/**
 * Re-runs and replays against a real local server (issue 10, item 7): a `FormData` create re-run
 * under its scope, the facts of a failed first run on `PREVIOUSLY_FAILED`, a crowd of waiters
 * sharing the outcome of the run they waited for, and a success body of a few MiB replayed from
 * every store.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError, createFetch, idempotency, retry, type IdempotencyOptions } from '../src/index.js';
import { IdempotencyError } from '../src/errors/idempotency-error.js';
import { memoryStore } from '../src/store/memory-store.js';
import { postgresStore } from '../src/store/postgres-store.js';
import { redisStore } from '../src/store/redis-store.js';
import type { KeyvRequestStore } from '../src/store/request-store.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';
import { postgresForTests, redisForTests } from './support/services.js';
import { uniqueNamespace } from './support/store-contract.js';

const [redis, postgres] = await Promise.all([redisForTests(), postgresForTests()]);
const secret = 'sk_test_Replays0123456789';
const bigBody = randomBytes(3 * 1024 * 1024);

let server: HostileServer;
let created = 0;
beforeAll(async () => {
  server = await startHostileServer((seen, response) => {
    const path = seen.path.split('?')[0];
    const answer = (status: number, body: unknown, delayMs = 0): void => {
      setTimeout(() => {
        response.writeHead(status, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify(body));
      }, delayMs);
    };
    if (path === '/orders') return answer(201, { id: `ord_${String((created += 1))}` });
    if (path === '/slow') return answer(201, { id: `ord_${String((created += 1))}` }, 300);
    if (path === '/invalid') {
      // A validator that echoes what it was sent, the caller's credential included.
      const details = [{ field: 'shipTo.email', message: 'must be an email' }, { field: 'note', message: `unexpected ${String(seen.headers.authorization)}` }];
      return answer(400, { success: false, error: { code: 'VALIDATION_ERROR', message: 'The order is invalid', details } }, 30);
    }
    if (path === '/down') return answer(503, { message: 'try later' }, 40);
    if (path === '/big') {
      response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bigBody.length) });
      return void response.end(bigBody);
    }
    answer(404, { message: 'no route' });
  });
});
afterAll(async () => {
  await server.close();
});

const sends = (path: string): number => server.requests.filter((r) => r.method === 'POST' && r.path.startsWith(path)).length;

function client(store: KeyvRequestStore, options: Omit<IdempotencyOptions, 'store'> = {}) {
  const sureFetch = createFetch({ middleware: [idempotency({ store, keyHeader: 'Idempotency-Key', ...options }), retry({ maxAttempts: 3, baseDelayMs: 5 })] });
  return (path: string, scope: string, body: string | FormData = '{}') =>
    sureFetch(`${server.url}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${secret}` }, body, surefetch: { idempotencyScope: scope } });
}

function form(fileBytes: string): FormData {
  const data = new FormData();
  data.set('title', 'Spring catalogue');
  data.set('file', new Blob([fileBytes], { type: 'application/pdf' }), 'catalogue.pdf');
  return data;
}

describe('a FormData create re-run under its scope', () => {
  it('replays the stored success for the same parts, although each serialization has a new boundary', async () => {
    const store = memoryStore();
    const scope = `form-${uniqueNamespace()}`;
    const first = await client(store)('/orders', scope, form('%PDF-1.7 one'));
    const again = await client(store)('/orders', scope, form('%PDF-1.7 one'));
    expect(await again.json()).toEqual(await first.json());
    expect(server.requests.filter((r) => r.path === '/orders' && r.body.includes('%PDF-1.7 one'))).toHaveLength(1);
  });

  it('still refuses the scope for a form whose file differs: IDEMPOTENCY_CONFLICT, nothing sent', async () => {
    const store = memoryStore();
    const scope = `form-${uniqueNamespace()}`;
    await client(store)('/orders', scope, form('%PDF-1.7 two'));
    const before = sends('/orders');
    const error = await client(store)('/orders', scope, form('%PDF-1.7 TWO')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyError);
    expect((error as IdempotencyError).code).toBe('IDEMPOTENCY_CONFLICT');
    expect(sends('/orders')).toBe(before);
  });
});

describe('PREVIOUSLY_FAILED carries what the first run learnt', () => {
  it('gives a re-run the status, code, server message and field details of the 400, without the credential the server echoed', async () => {
    const store = memoryStore();
    const scope = `invalid-${uniqueNamespace()}`;
    const first = await client(store)('/invalid', scope).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(HttpError);
    const before = sends('/invalid');
    const error = (await client(store)('/invalid', scope).catch((e: unknown) => e)) as IdempotencyError;
    expect(error).toBeInstanceOf(IdempotencyError);
    expect(error.code).toBe('PREVIOUSLY_FAILED');
    expect(sends('/invalid')).toBe(before);
    expect(error.previous).toMatchObject({ status: 400, code: 'VALIDATION_ERROR', message: 'The order is invalid', terminal: true });
    expect(error.previous?.details).toContainEqual({ field: 'shipTo.email', message: 'must be an email' });
    expect(error.message).toContain('HTTP 400 VALIDATION_ERROR');
    expect(error.message).toContain('shipTo.email: must be an email');
    expect(JSON.stringify(await store.get(scope))).not.toContain(secret);
    expect(JSON.stringify(error.previous)).not.toContain(secret);
  });
});

describe('callers waiting on a keyed scope share the outcome of the run they waited for', () => {
  const crowd = async (path: string, scope: string) => {
    const call = client(memoryStore(), { waitForOwnerMs: 20_000, pollMs: 10 });
    const before = sends(path);
    const outcomes = await Promise.all(Array.from({ length: 200 }, () => call(path, scope).then(() => 'ok', (e: unknown) => e)));
    return { outcomes, sent: sends(path) - before };
  };

  it('200 callers, the server answers 503: only the owner sends (3 attempts), the other 199 get its failure', async () => {
    const { outcomes, sent } = await crowd('/down', `down-${uniqueNamespace()}`);
    expect(sent).toBe(3);
    const shared = outcomes.filter((o): o is IdempotencyError => o instanceof IdempotencyError);
    expect(shared).toHaveLength(199);
    for (const error of shared) {
      expect(error.code).toBe('PREVIOUSLY_FAILED');
      expect(error.previous).toMatchObject({ status: 503, terminal: false });
    }
    expect(outcomes.filter((o) => o instanceof HttpError)).toHaveLength(1);
  });

  it('200 callers, the server answers 400: one send, the other 199 get PREVIOUSLY_FAILED with the field details', async () => {
    const { outcomes, sent } = await crowd('/invalid', `crowd-invalid-${uniqueNamespace()}`);
    expect(sent).toBe(1);
    const shared = outcomes.filter((o): o is IdempotencyError => o instanceof IdempotencyError);
    expect(shared).toHaveLength(199);
    for (const error of shared) expect(error.previous).toMatchObject({ status: 400, code: 'VALIDATION_ERROR', terminal: true, details: expect.arrayContaining([{ field: 'shipTo.email', message: 'must be an email' }]) });
  });

  it('a waiter takes the scope over when the owner\'s caller aborted (an abort is no outcome to share)', async () => {
    const store = memoryStore();
    const scope = `aborted-${uniqueNamespace()}`;
    const call = client(store, { waitForOwnerMs: 20_000, pollMs: 10 });
    const sureFetch = createFetch({ middleware: [idempotency({ store, keyHeader: 'Idempotency-Key' }), retry()] });
    const abort = new AbortController();
    const owner = sureFetch(`${server.url}/slow`, { method: 'POST', body: '{}', signal: abort.signal, surefetch: { idempotencyScope: scope } }).catch((e: unknown) => e);
    while (sends('/slow') === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const waiter = call('/slow', scope);
    // The answer takes 300 ms: by now the waiter is polling the owner's record.
    await new Promise((resolve) => setTimeout(resolve, 100));
    abort.abort(new Error('the job was cancelled'));
    await owner;
    expect((await waiter).status).toBe(201);
  });

  it('a later re-run (not a waiter) of a scope whose run gave up on a 503 takes it over and tries again', async () => {
    const store = memoryStore();
    const scope = `down-later-${uniqueNamespace()}`;
    await client(store)('/down', scope).catch(() => undefined);
    const before = sends('/down');
    const error = await client(store)('/down', scope).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(sends('/down') - before).toBe(3);
  });
});

const stores: Array<[string, string | undefined, () => KeyvRequestStore]> = [
  ['memory', 'memory', () => memoryStore()],
  ['Redis', redis.url, () => redisStore({ url: redis.url ?? '', namespace: uniqueNamespace() })],
  ['PostgreSQL', postgres.url, () => postgresStore({ url: postgres.url ?? '', namespace: uniqueNamespace() })],
];

describe.each(stores)('a success body of a few MiB on the %s store', (_name, available, open) => {
  it.skipIf(available === undefined)('replays a 3 MiB body byte for byte to a re-run, with the default maxStoredBodyBytes', async () => {
    const store = open();
    try {
      const scope = `big-${uniqueNamespace()}`;
      const first = await client(store)('/big', scope);
      expect(Buffer.from(await first.arrayBuffer()).equals(bigBody)).toBe(true);
      const before = sends('/big');
      const again = await client(store)('/big', scope);
      expect(again.status).toBe(200);
      expect(Buffer.from(await again.arrayBuffer()).equals(bigBody)).toBe(true);
      expect(sends('/big')).toBe(before);
    } finally {
      await store.close();
    }
  }, 30_000);
});

describe('a success body above maxStoredBodyBytes', () => {
  it('gives a re-run REPLAY_UNAVAILABLE that names the status and why, and sends nothing', async () => {
    const store = memoryStore();
    const scope = `too-big-${uniqueNamespace()}`;
    await (await client(store, { maxStoredBodyBytes: 1024 })('/big', scope)).arrayBuffer();
    const before = sends('/big');
    const error = (await client(store, { maxStoredBodyBytes: 1024 })('/big', scope).catch((e: unknown) => e)) as IdempotencyError;
    expect(error).toBeInstanceOf(IdempotencyError);
    expect(error.code).toBe('REPLAY_UNAVAILABLE');
    expect(error.message).toContain('HTTP 200');
    expect(error.message).toContain(`(${String(bigBody.length)} bytes) is larger than maxStoredBodyBytes (1024 bytes)`);
    expect(sends('/big')).toBe(before);
  });
});

describe('a caller who leaves while the success body is read for the replay copy', () => {
  it("gives a re-run REPLAY_UNAVAILABLE saying the caller left, and sends nothing", async () => {
    const { startStalledBodyServer } = await import('./hostile/stalled-body.js');
    const stalled = await startStalledBodyServer({ status: 201, prefix: '{"id":"ord_' });
    try {
      const store = memoryStore();
      const sureFetch = createFetch({ middleware: [idempotency({ store })] });
      const init = { method: 'POST', body: '{}', surefetch: { idempotencyScope: 'left-during-copy' } };
      await sureFetch(`${stalled.url}/v1/orders`, { ...init, signal: AbortSignal.timeout(200) }).catch((e: unknown) => e);
      const rerun = (await sureFetch(`${stalled.url}/v1/orders`, init).catch((e: unknown) => e)) as IdempotencyError;
      expect(rerun).toBeInstanceOf(IdempotencyError);
      expect(rerun.code).toBe('REPLAY_UNAVAILABLE');
      expect(rerun.message).toContain('HTTP 201');
      expect(rerun.message).toContain('the caller left before its body was read');
      expect(stalled.requests).toHaveLength(1);
    } finally {
      await stalled.close();
    }
  });
});

describe('a compressed success body above maxStoredBodyBytes', () => {
  it("gives a re-run REPLAY_UNAVAILABLE that quotes no compressed Content-Length as the body's size", async () => {
    const { gzipSync } = await import('node:zlib');
    const big = JSON.stringify({ items: 'x'.repeat(200_000) });
    const gzipped = gzipSync(big);
    const gz = await startHostileServer((_seen, response) => {
      response.writeHead(201, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(gzipped.length) });
      response.end(gzipped);
    });
    try {
      const store = memoryStore();
      const sureFetch = createFetch({ middleware: [idempotency({ store, maxStoredBodyBytes: 1024 })] });
      const init = { method: 'POST', body: '{}', surefetch: { idempotencyScope: 'gzipped-big' } };
      expect((await sureFetch(`${gz.url}/v1/orders`, init)).status).toBe(201);
      const rerun = (await sureFetch(`${gz.url}/v1/orders`, init).catch((e: unknown) => e)) as IdempotencyError;
      expect(rerun.code).toBe('REPLAY_UNAVAILABLE');
      expect(rerun.message).toContain('its body is larger than maxStoredBodyBytes (1024 bytes)');
      expect(rerun.message).not.toContain(`${String(gzipped.length)} bytes`);
      expect(gz.requests).toHaveLength(1);
    } finally {
      await gz.close();
    }
  });
});
