/**
 * A gateway that gives up before the server behind it: it answers 504 while the server still
 * holds the create and commits it later (an API gateway's 29 s before the function it called
 * ends). Unlike an answered 500, a 504 says nobody heard the outcome, so the send counts as
 * unanswered, as if the attempt had timed out: absence is believed only from a read made its
 * lifetime after the 504. Against test/hostile/late-reader.ts with a gateway in front.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFetch, ExistenceCheckError, HttpError, idempotency, memoryStore, retry } from '../src/index.js';
import { lateItemsCheck, postItem, startLateReader, type LateReader } from './hostile/late-reader.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';
import { Agent, fetch as undiciFetch } from 'undici';

let api: LateReader | undefined;
let other: HostileServer | undefined;
afterEach(async () => {
  await api?.close();
  await other?.close();
  api = undefined;
  other = undefined;
});
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// The gateway answers 504 at 300 ms; the server commits the first create at 1.2 s.
const startGatewayed = (): Promise<LateReader> => startLateReader((n) => (n === 1 ? 1200 : 0), () => false, 300);
const attemptTimeoutMs = 1000;

describe('a 504 from a gateway while the server still holds the create', () => {
  it.each([['with a scope', 'job-1'], ['without a scope', undefined]])('%s: the check reads until the lifetime after the 504, finds the create, sends once', async (_name, scope) => {
    api = await startGatewayed();
    const sureFetch = createFetch({ middleware: [idempotency({ existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 1 })], attemptTimeoutMs });
    const response = await postItem(sureFetch, api.url, scope);
    expect(((await response.json()) as { id: string }).id).toBe('item_1');
    expect([api.postTimes.length, api.items.length]).toEqual([1, 1]);
  });

  it('a call without retry ends on the 504: the record keeps it unanswered, and a re-run at once waits for it and finds the create', async () => {
    api = await startGatewayed();
    const store = memoryStore();
    const once = createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() })], attemptTimeoutMs });
    const error = await postItem(once, api.url, 'job-2').catch((e: unknown) => e);
    expect((error as HttpError).status).toBe(504);
    expect((await store.get('job-2'))?.unanswered?.timeoutMs).toBe(attemptTimeoutMs);
    const rerun = await postItem(createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 1 })], attemptTimeoutMs }), api.url, 'job-2');
    expect(((await rerun.json()) as { id: string }).id).toBe('item_1');
    expect([api.postTimes.length, api.items.length]).toEqual([1, 1]);
  });

  it('no scope and a deadline before the lifetime: ExistenceCheckError with the client request id, nothing re-sent', async () => {
    api = await startGatewayed();
    const sureFetch = createFetch({ middleware: [idempotency({ existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 1 })], attemptTimeoutMs, deadlineMs: 900 });
    const error = await postItem(sureFetch, api.url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExistenceCheckError);
    expect((error as ExistenceCheckError).clientRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(api.postTimes).toHaveLength(1);
  });

  it.each([
    ['a 524 (Cloudflare), by default', [undefined, 524]],
    ['a 503 when gatewayTimeoutStatuses names it (Heroku)', [[503], 503]],
  ] as const)('%s counts as a gateway timeout: one item', async (_name, [statuses, status]) => {
    const items: unknown[] = [];
    let posts = 0;
    other = await startHostileServer((seen, response) => {
      if (seen.method === 'GET') return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(items));
      posts += 1;
      if (posts > 1) return void response.writeHead(201).end(JSON.stringify({ id: `item_${String(items.push({ id: 'x' }))}` }));
      response.writeHead(status).end('timed out');
      setTimeout(() => items.push({ id: 'item_1', email: 'ada@example.com', createdAt: new Date().toISOString() }), 600);
    });
    const check = lateItemsCheck();
    const layer = idempotency({ existenceCheck: check, ...(statuses === undefined ? {} : { gatewayTimeoutStatuses: statuses }) });
    const response = await postItem(createFetch({ middleware: [layer, retry({ baseDelayMs: 1 })], attemptTimeoutMs: 500 }), other.url, 'job-5');
    expect(((await response.json()) as { id: string }).id).toBe('item_1');
    expect([posts, items.length]).toEqual([1, 1]);
  });

  it.each([
    ['an attempt timeout', () => startLateReader((n) => (n === 1 ? 900 : 0))],
    ['a 504', startGatewayed],
  ])('%s, then the caller aborts during retry\'s backoff (before the guard heard of it): the re-run waits for the send, one item', async (_name, start) => {
    api = await start();
    const store = memoryStore();
    const shutdown = new AbortController();
    const patient = createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 2000, maxDelayMs: 2000 })], attemptTimeoutMs: 400, random: () => 0.9 });
    const first = patient(`${api.url}/v1/items`, { method: 'POST', body: JSON.stringify({ email: 'ada@example.com' }), signal: shutdown.signal, surefetch: { idempotencyScope: 'job-6' } });
    await sleep(500);
    shutdown.abort();
    await expect(first).rejects.toThrow();
    expect((await store.get('job-6'))?.unanswered?.timeoutMs).toBe(400);
    const rerun = await postItem(createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 1 })], attemptTimeoutMs: 400 }), api.url, 'job-6');
    expect(((await rerun.json()) as { id: string }).id).toBe('item_1');
    expect([api.postTimes.length, api.items.length]).toEqual([1, 1]);
  });

  it('a 504 to a lookup after an answered 500 says nothing of the create: no unanswered send, the re-run does not wait', async () => {
    let posts = 0;
    let healthy = false;
    other = await startHostileServer((seen, response) => {
      if (seen.method === 'GET') return void (healthy ? response.writeHead(200, { 'content-type': 'application/json' }).end('[]') : response.writeHead(504).end('gateway timeout'));
      posts += 1;
      if (healthy) return void response.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"item_1","email":"ada@example.com"}');
      response.writeHead(500).end('{"message":"boom"}');
    });
    const store = memoryStore();
    const draws = [0, 0.9, 0.9, 0.9];
    const layers = (): ReturnType<typeof idempotency>[] => [idempotency({ store, existenceCheck: lateItemsCheck() })];
    const first = createFetch({ middleware: [...layers(), retry({ baseDelayMs: 5000, maxDelayMs: 5000 })], attemptTimeoutMs: 10_000, maxWaitMs: 1000, random: () => draws.shift() ?? 0.9 });
    await postItem(first, other.url, 'job-7').catch(() => undefined);
    expect((await store.get('job-7'))?.unanswered).toBeUndefined();
    healthy = true;
    const rerun = await postItem(createFetch({ middleware: [...layers(), retry()], attemptTimeoutMs: 10_000, maxWaitMs: 1000 }), other.url, 'job-7');
    expect(rerun.status).toBe(201);
    expect(posts).toBe(2);
  });
});

describe("a transport's own timeout (undici's headersTimeout, 300 ms, shorter than the attempt timeout)", () => {
  // The create is held 2.5 s; the headers timeout fires within about 1 s (undici's coarse timers). Counted once the held create has landed.
  const landed = async (reader: LateReader): Promise<number> => {
    await sleep(Math.max(0, (reader.postTimes[0] ?? 0) + 2600 - Date.now()));
    return reader.items.length;
  };
  const check = (): ReturnType<typeof lateItemsCheck> => lateItemsCheck({ requestLifetimeMs: 3000 });
  const send = (sureFetch: ReturnType<typeof createFetch>, url: string, dispatcher: Agent, scope: string, signal?: AbortSignal): Promise<Response> =>
    sureFetch(`${url}/v1/items`, { method: 'POST', body: JSON.stringify({ email: 'ada@example.com' }), dispatcher, surefetch: { idempotencyScope: scope }, ...(signal === undefined ? {} : { signal }) });

  it('counts as a send without an answer: the check waits for the held create, one item', async () => {
    api = await startLateReader((n) => (n === 1 ? 2500 : 0));
    const dispatcher = new Agent({ headersTimeout: 300 });
    const codes: Array<string | undefined> = [];
    try {
      const sureFetch = createFetch({ fetch: undiciFetch as never, middleware: [idempotency({ existenceCheck: check() }), retry({ baseDelayMs: 1 })], attemptTimeoutMs: 4000, onEvent: (event) => void (event.type === 'attempt-end' && codes.push(event.errorCode)) });
      const response = await send(sureFetch, api.url, dispatcher, 'job-8');
      expect(((await response.json()) as { id: string }).id).toBe('item_1');
      expect(codes[0]).toBe('NETWORK_ERROR');
      expect([api.postTimes.length, await landed(api)]).toEqual([1, 1]);
    } finally {
      await dispatcher.close();
    }
  });

  it("then the caller aborts during retry's backoff: the send stays out, and the re-run waits for it, one item", async () => {
    api = await startLateReader((n) => (n === 1 ? 2500 : 0));
    const dispatcher = new Agent({ headersTimeout: 300 });
    const store = memoryStore();
    const shutdown = new AbortController();
    const ends: string[] = [];
    try {
      const patient = createFetch({ fetch: undiciFetch as never, middleware: [idempotency({ store, existenceCheck: check() }), retry({ baseDelayMs: 3000, maxDelayMs: 3000 })], attemptTimeoutMs: 4000, random: () => 0.9, onEvent: (event) => void (event.type === 'attempt-end' && ends.push(event.errorCode ?? '')) });
      const first = send(patient, api.url, dispatcher, 'job-9', shutdown.signal);
      while (ends.length === 0) await sleep(10);
      await sleep(100);
      shutdown.abort();
      await expect(first).rejects.toThrow();
      expect([ends[0], (await store.get('job-9'))?.unanswered?.timeoutMs]).toEqual(['NETWORK_ERROR', 4000]);
      const rerun = await send(createFetch({ fetch: undiciFetch as never, middleware: [idempotency({ store, existenceCheck: check() }), retry({ baseDelayMs: 1 })], attemptTimeoutMs: 4000 }), api.url, dispatcher, 'job-9');
      expect(((await rerun.json()) as { id: string }).id).toBe('item_1');
      expect([api.postTimes.length, await landed(api)]).toEqual([1, 1]);
    } finally {
      await dispatcher.close();
    }
  });
});
