/**
 * A create that got no answer within its attempt's timeout may still be waiting, unread, at the
 * API (queued behind a busy worker or a load balancer) and land after every read of the settle
 * window. Against a server that acts on creates late (test/hostile/late-reader.ts), absence is
 * taken as proof only from a read made `requestLifetimeMs` after the unanswered send (default:
 * twice the attempt's timeout), within one call and across a re-run of its scope.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFetch, ExistenceCheckError, RetryLaterError, idempotency, lookupExistence, memoryStore, retry, type LookupOptions, type RequestStore } from '../src/index.js';
import { lateItemsCheck, postItem, startLateReader, type LateReader } from './hostile/late-reader.js';

let api: LateReader | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const timeoutMs = 300;

interface ClientOptions {
  readonly lookup?: Partial<LookupOptions>;
  readonly retries?: boolean;
  readonly maxAttempts?: number;
  readonly store?: RequestStore;
  readonly deadlineMs?: number;
  readonly maxWaitMs?: number;
}

function client(server: LateReader, options: ClientOptions = {}) {
  const middleware = [idempotency({ existenceCheck: lateItemsCheck(options.lookup), ...(options.store === undefined ? {} : { store: options.store }) })];
  const sureFetch = createFetch({
    middleware: options.retries === false ? middleware : [...middleware, retry({ baseDelayMs: 1, maxAttempts: options.maxAttempts ?? 3 })],
    attemptTimeoutMs: timeoutMs,
    ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
    ...(options.maxWaitMs === undefined ? {} : { maxWaitMs: options.maxWaitMs }),
  });
  return (scope?: string) => postItem(sureFetch, server.url, scope);
}

describe('a create the API holds unanswered past the attempt timeout', () => {
  it('held 450 ms (timeout 300, settle reads over 50 ms): the reads go on to twice the timeout, find it, and nothing is re-sent', async () => {
    api = await startLateReader(() => 450);
    const response = await client(api)();
    expect([response.status, ((await response.json()) as { id: string }).id]).toEqual([201, 'item_1']);
    expect([api.postTimes.length, api.items.length]).toEqual([1, 1]);
  });

  it('held 1000 ms with requestLifetimeMs 1500: found at the last read, one create', async () => {
    api = await startLateReader(() => 1000);
    const response = await client(api, { lookup: { requestLifetimeMs: 1500 } })();
    expect(((await response.json()) as { id: string }).id).toBe('item_1');
    expect([api.postTimes.length, api.items.length]).toEqual([1, 1]);
  });

  it('held past the lifetime (1000 ms): re-sent only after reads up to twice the timeout after the first send', async () => {
    api = await startLateReader((n) => (n === 1 ? 1000 : 0));
    await client(api)();
    const [first = 0, second = 0] = api.postTimes;
    expect(api.postTimes).toHaveLength(2);
    // The lifetime counts from the client's send, a little before the server saw it (50 ms of slack);
    // the settle reads alone would have re-sent at about timeout + 50 ms.
    expect(second - first).toBeGreaterThanOrEqual(2 * timeoutMs - 50);
  });

  it('answered (500, nothing stored): re-sent after the settle reads alone, without waiting for the lifetime', async () => {
    api = await startLateReader(() => 0, (n) => n === 1);
    const response = await client(api, { lookup: { requestLifetimeMs: 5000 } })();
    const [first = 0, second = 0] = api.postTimes;
    expect([response.status, api.postTimes.length, api.items.length]).toEqual([201, 2, 1]);
    expect(second - first).toBeLessThan(1000);
  });

  it('a re-run of the scope right after the call timed out reads until the lifetime of the earlier send, and finds it', async () => {
    api = await startLateReader(() => 450);
    const store = memoryStore();
    const create = client(api, { retries: false, store });
    const first = await create('job-1:create').catch((e: unknown) => e);
    expect(first).toMatchObject({ code: 'ATTEMPT_TIMEOUT' });
    expect(api.items).toHaveLength(0);
    const rerun = await create('job-1:create');
    expect([rerun.status, ((await rerun.json()) as { id: string }).id]).toEqual([201, 'item_1']);
    expect([api.postTimes.length, api.items.length]).toEqual([1, 1]);
    const record = await store.get('job-1:create');
    expect(record?.state).toBe('succeeded');
  });

  it('a deadline before the lifetime, no scope: ExistenceCheckError with the client request id, one create', async () => {
    api = await startLateReader(() => 2000);
    const error = await client(api, { deadlineMs: 450 })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExistenceCheckError);
    expect((error as ExistenceCheckError).message).toContain((error as ExistenceCheckError).clientRequestId);
    expect((error as ExistenceCheckError).message).toMatch(/a create sent without an answer may still land for \d+ ms, which passes the call deadline/);
    expect(api.postTimes).toHaveLength(1);
  });

  it('a maxWaitMs shorter than the hold, with a scope: RetryLaterError at the lifetime; the re-run then finds the order, one create', async () => {
    api = await startLateReader(() => 450);
    const create = client(api, { retries: false, store: memoryStore(), maxWaitMs: 100 });
    const first = await create('job-2:create').catch((e: unknown) => e);
    expect(first).toMatchObject({ code: 'ATTEMPT_TIMEOUT' });
    const early = await create('job-2:create').catch((e: unknown) => e);
    expect(early).toBeInstanceOf(RetryLaterError);
    expect((early as RetryLaterError).message).toMatch(/a create sent without an answer may still land for \d+ ms \(requestLifetimeMs\), which exceeds maxWaitMs 100/);
    const sentAt = api.postTimes[0] ?? 0;
    expect((early as RetryLaterError).retryAt).toBeGreaterThanOrEqual(sentAt + 2 * timeoutMs - 50);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, (early as RetryLaterError).retryAt - Date.now())));
    const rerun = await create('job-2:create');
    expect(((await rerun.json()) as { id: string }).id).toBe('item_1');
    expect([api.postTimes.length, api.items.length]).toEqual([1, 1]);
  });

  it('out of attempts after a timeout, the last look waits past maxWaitMs: RetryLaterError, not AmbiguousOutcomeError', async () => {
    api = await startLateReader(() => 450);
    const create = client(api, { store: memoryStore(), maxWaitMs: 100, maxAttempts: 1 });
    const error = await create('job-3:create').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryLaterError);
    expect(api.postTimes).toHaveLength(1);
  });

  it.each([-1, Number.NaN])('refuses requestLifetimeMs %s with a TypeError', (requestLifetimeMs) => {
    expect(() => lookupExistence({ lookupUrl: ({ url }) => url, candidates: () => [], requestLifetimeMs })).toThrow(TypeError);
  });
});
