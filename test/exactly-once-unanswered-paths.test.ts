/**
 * The unanswered send (see exactly-once-unanswered.test.ts) along the paths that lose it or
 * shorten its wait unless the send's own time and timeout travel with it: a wait below
 * `idempotency` before the request leaves, a backoff refused after the timeout, a worker that
 * takes the scope over while the check still waits, a deadline that cuts the attempt short, and
 * a lookup that says "retry later" to a call without a scope. Against test/hostile/late-reader.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFetch, ExistenceCheckError, idempotency, memoryStore, retry, RetryLaterError, type Middleware, type RequestRecord } from '../src/index.js';
import { lateItemsCheck, postItem, startLateReader, type LateReader } from './hostile/late-reader.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';
import { buildRequestSpec } from '../src/pipeline/request-spec.js';
import { fingerprintRequest } from '../src/idempotency/response-snapshot.js';

let api: LateReader | undefined;
let other: HostileServer | undefined;
afterEach(async () => {
  await api?.close();
  await other?.close();
  api = undefined;
  other = undefined;
});

const timeoutMs = 300;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
// A create sent by someone else (or by a worker about to die), answered or not.
const plainPost = (url: string): Promise<unknown> => fetch(`${url}/v1/items`, { method: 'POST', body: JSON.stringify({ email: 'ada@example.com' }) }).then((r) => r.text(), () => undefined);
// The record a worker that died after sending postItem's create left behind (pending, its lease over), written by hand.
const deadRecord = async (url: string, scope: string, left: Partial<RequestRecord>): Promise<RequestRecord> => {
  const fingerprint = await fingerprintRequest(await buildRequestSpec(`${url}/v1/items`, { method: 'POST', body: JSON.stringify({ email: 'ada@example.com' }) }));
  const now = Date.now();
  return { scope, clientRequestId: `dead-${scope}`, state: 'pending', operation: 'POST /v1/items', fingerprint, attempts: 1, lastSent: 'ambiguous', owner: 'dead-worker', leaseUntil: 0, version: 1, createdAt: now, updatedAt: now, ...left };
};

describe('an unanswered send, along other paths', () => {
  it('a 400 ms wait below retry before the request leaves (a limiter queue): the lifetime counts from the send, one item', async () => {
    api = await startLateReader((n) => (n === 1 ? 550 : 0));
    const queue: Middleware = async (ctx, next) => {
      if (ctx.request.method === 'POST') await sleep(400);
      return next(ctx);
    };
    const sureFetch = createFetch({ middleware: [idempotency({ existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 1, maxAttempts: 3 }), queue], attemptTimeoutMs: timeoutMs });
    const response = await postItem(sureFetch, api.url);
    expect(((await response.json()) as { id: string }).id).toBe('item_1');
    expect([api.postTimes.length, api.items.length]).toEqual([1, 1]);
  });

  it('a backoff longer than maxWaitMs after the timeout: RetryLaterError, and the re-run at retryAt still waits for the send', async () => {
    api = await startLateReader((n) => (n === 1 ? 1000 : 0));
    const store = memoryStore();
    const sureFetch = createFetch({
      middleware: [idempotency({ store, existenceCheck: lateItemsCheck({ requestLifetimeMs: 1500 }) }), retry({ baseDelayMs: 400, maxDelayMs: 400, maxAttempts: 3 })],
      attemptTimeoutMs: timeoutMs,
      maxWaitMs: 100,
      random: () => 0.9,
    });
    const first = await postItem(sureFetch, api.url, 'job-1').catch((e: unknown) => e);
    expect(first).toBeInstanceOf(RetryLaterError);
    expect((await store.get('job-1'))?.unanswered?.timeoutMs).toBe(timeoutMs);
    await sleep(Math.max(0, (first as RetryLaterError).retryAt - Date.now()));
    // The re-run would wait past maxWaitMs for the rest of the lifetime: it says when, and sends nothing.
    const early = await postItem(sureFetch, api.url, 'job-1').catch((e: unknown) => e);
    expect(early).toBeInstanceOf(RetryLaterError);
    await sleep(Math.max(0, (early as RetryLaterError).retryAt - Date.now()));
    const rerun = await postItem(sureFetch, api.url, 'job-1');
    expect(((await rerun.json()) as { id: string }).id).toBe('item_1');
    expect([api.postTimes.length, api.items.length]).toEqual([1, 1]);
  });

  it('the record holds the unanswered send while the check still waits: a worker taking the scope over waits too, one item', async () => {
    api = await startLateReader((n) => (n === 1 ? 1200 : 0));
    const store = memoryStore();
    const client = () => createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck({ requestLifetimeMs: 1500 }) }), retry({ baseDelayMs: 1, maxAttempts: 3 })], attemptTimeoutMs: timeoutMs });
    const call = postItem(client(), api.url, 'job-2');
    await sleep(700); // timed out at 300, settle reads done, waiting toward the lifetime
    const record = await store.get('job-2');
    expect(record?.unanswered?.timeoutMs).toBe(timeoutMs);
    // That worker dies: its lease lapses, and another worker's call takes the scope over.
    const second = memoryStore();
    await second.claim({ ...record!, owner: 'dead-worker', leaseUntil: Date.now() - 1 }, 86_400_000);
    const other = createFetch({ middleware: [idempotency({ store: second, existenceCheck: lateItemsCheck({ requestLifetimeMs: 1500 }) }), retry({ baseDelayMs: 1, maxAttempts: 3 })], attemptTimeoutMs: timeoutMs });
    const taken = await postItem(other, api.url, 'job-2');
    await call;
    expect(((await taken.json()) as { id: string }).id).toBe('item_1');
    expect([api.postTimes.length, api.items.length]).toEqual([1, 1]);
  });

  it('a deadline that cuts the attempt to 200 ms: the send keeps its configured timeout, and a re-run 250 ms later waits for it', async () => {
    api = await startLateReader((n) => (n === 1 ? 1500 : 0));
    const store = memoryStore();
    const capped = createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() })], attemptTimeoutMs: 1000, deadlineMs: 200 });
    await postItem(capped, api.url, 'job-3').catch(() => undefined);
    expect((await store.get('job-3'))?.unanswered?.timeoutMs).toBe(1000);
    await sleep(250);
    const plain = createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() })], attemptTimeoutMs: 1000 });
    const rerun = await postItem(plain, api.url, 'job-3');
    expect(((await rerun.json()) as { id: string }).id).toBe('item_1');
    expect([api.postTimes.length, api.items.length]).toEqual([1, 1]);
  });

  it('no scope, out of attempts, the last lookup answered 503 Retry-After 120: ExistenceCheckError, not RetryLaterError', async () => {
    let gets = 0;
    other = await startHostileServer((seen, response) => {
      if (seen.method === 'POST') {
        response.writeHead(500).end('{}');
        return;
      }
      gets += 1;
      if (gets <= 2) response.writeHead(200, { 'content-type': 'application/json' }).end('[]');
      else response.writeHead(503, { 'retry-after': '120' }).end('busy');
    });
    const sureFetch = createFetch({ middleware: [idempotency({ existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 1, maxAttempts: 2 })], attemptTimeoutMs: timeoutMs });
    const error = await postItem(sureFetch, other.url).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(RetryLaterError);
    expect(String((error as Error).message)).toContain('a lookup cannot go on now');
    expect((error as { code?: string }).code).toMatch(/AMBIGUOUS_OUTCOME|EXISTENCE_CHECK_FAILED/);
  });

  it.each([Number.POSITIVE_INFINITY, 86_400_001])('refuses requestLifetimeMs %s with a TypeError', (requestLifetimeMs) => {
    expect(() => lateItemsCheck({ requestLifetimeMs })).toThrow(TypeError);
  });

  it('a stored unanswered send a year ahead is taken as sent now, not as a wait for a year: the re-run answers within its lifetime', async () => {
    api = await startLateReader(() => 0);
    const store = memoryStore();
    const sureFetch = createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() })], attemptTimeoutMs: timeoutMs });
    const claimed = await postItem(sureFetch, api.url, 'job-4');
    expect(claimed.status).toBe(201);
    const record = (await store.get('job-4'))!;
    await store.update({ ...record, state: 'pending', lastSent: 'ambiguous', leaseUntil: 0, unanswered: { sentAt: Date.now() + 365 * 86_400_000, timeoutMs: 1 }, version: record.version + 1 }, record.version, 86_400_000);
    const startedAt = Date.now();
    const rerun = await postItem(sureFetch, api.url, 'job-4');
    expect(((await rerun.json()) as { id: string }).id).toBe('item_1');
    // Its settle reads, then one at twice the re-run's own attempt timeout from the takeover.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(2 * timeoutMs - 20);
    expect(api.postTimes).toHaveLength(1);
  });

  it.each([['with a scope', 'job-5', RetryLaterError], ['without a scope', undefined, ExistenceCheckError]])('%s: a twin made by someone else while our create is held is not taken for ours when the read for absence may not wait (typed error, nothing claimed)', async (_name, scope, refusal) => {
    // Ours (POST 1) is held 1.5 s after timing out at 300 ms; another client's identical create lands 100 ms after ours left.
    api = await startLateReader((n) => (n === 1 ? 1500 : 0));
    const check = lateItemsCheck({ settleDelaysMs: [0, 400], requestLifetimeMs: 5000 });
    const sureFetch = createFetch({ middleware: [idempotency({ existenceCheck: check }), retry({ baseDelayMs: 1, maxAttempts: 3 })], attemptTimeoutMs: timeoutMs, maxWaitMs: 1000 });
    const call = postItem(sureFetch, api.url, scope).catch((error: unknown) => error);
    while (api.postTimes.length === 0) await sleep(2);
    await sleep(100);
    await plainPost(api.url);
    expect(await call).toBeInstanceOf(refusal);
    expect(api.postTimes).toHaveLength(2);
  });

  it('a create aborted by its caller while the API holds it (a worker shutting down): the re-run waits for it, one item', async () => {
    api = await startLateReader((n) => (n === 1 ? 800 : 0));
    const store = memoryStore();
    const sureFetch = createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 1, maxAttempts: 3 })], attemptTimeoutMs: timeoutMs * 2 });
    const shutdown = new AbortController();
    const first = sureFetch(`${api.url}/v1/items`, { method: 'POST', body: JSON.stringify({ email: 'ada@example.com' }), headers: { 'content-type': 'application/json' }, signal: shutdown.signal, surefetch: { idempotencyScope: 'job-7' } });
    while (api.postTimes.length === 0) await sleep(2);
    shutdown.abort();
    await expect(first).rejects.toThrow();
    const record = await store.get('job-7');
    expect([record?.inFlight, record?.unanswered?.timeoutMs]).toEqual([undefined, timeoutMs * 2]);
    const rerun = await postItem(sureFetch, api.url, 'job-7');
    expect(((await rerun.json()) as { id: string }).id).toBe('item_1');
    expect([api.postTimes.length, api.items.length]).toEqual([1, 1]);
  });

  it('a caller who aborts while retry waits out a 429 (no send out): nothing is left unanswered, the re-run sends at once', async () => {
    let posts = 0;
    other = await startHostileServer((seen, response) => {
      if (seen.method === 'GET') return void response.writeHead(200, { 'content-type': 'application/json' }).end('[]');
      posts += 1;
      if (posts === 1) return void response.writeHead(429, { 'retry-after': '10' }).end();
      response.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"item_1","email":"ada@example.com"}');
    });
    const store = memoryStore();
    const middleware = [idempotency({ store, existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 1 })];
    const shutdown = new AbortController();
    const first = createFetch({ middleware, attemptTimeoutMs: 2000 })(`${other.url}/v1/items`, { method: 'POST', body: JSON.stringify({ email: 'ada@example.com' }), signal: shutdown.signal, surefetch: { idempotencyScope: 'job-9' } });
    while (posts === 0) await sleep(2);
    await sleep(100);
    shutdown.abort();
    await expect(first).rejects.toThrow();
    expect((await store.get('job-9'))?.unanswered).toBeUndefined();
    const rerun = await postItem(createFetch({ middleware, attemptTimeoutMs: 2000, maxWaitMs: 1000 }), other.url, 'job-9');
    expect(rerun.status).toBe(201);
    expect(posts).toBe(2);
  });

  it('a recorded unanswered send dated ahead with a short timeout does not shorten the wait for a longer send left in flight', async () => {
    api = await startLateReader((n) => (n === 1 ? 800 : 0));
    const store = memoryStore();
    const lost = plainPost(api.url);
    while (api.postTimes.length === 0) await sleep(2);
    const now = Date.now();
    await store.claim(await deadRecord(api.url, 'job-8', { attempts: 2, unanswered: { sentAt: now + 100, timeoutMs: 20 }, inFlight: { sentAt: now, timeoutMs: 500 } }), 86_400_000);
    const sureFetch = createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 1, maxAttempts: 3 })], attemptTimeoutMs: 50 });
    const taken = await postItem(sureFetch, api.url, 'job-8');
    await lost;
    expect(((await taken.json()) as { id: string }).id).toBe('item_1');
    expect([api.postTimes.length, api.items.length]).toEqual([1, 1]);
  });

  it('a record left with a send in flight that does not read as one: the taker still waits, with its own attempt timeout', async () => {
    api = await startLateReader((n) => (n === 1 ? 500 : 0));
    const store = memoryStore();
    const sureFetch = createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 1, maxAttempts: 3 })], attemptTimeoutMs: timeoutMs });
    // The dead worker's create reaches the API just before the takeover; its record's in-flight mark is garbage.
    const lost = plainPost(api.url);
    while (api.postTimes.length === 0) await sleep(2);
    await store.claim(await deadRecord(api.url, 'job-6', { inFlight: 'sent' as never }), 86_400_000);
    const taken = await postItem(sureFetch, api.url, 'job-6');
    await lost;
    expect(((await taken.json()) as { id: string }).id).toBe('item_1');
    expect([api.postTimes.length, api.items.length]).toEqual([1, 1]);
  });
});
