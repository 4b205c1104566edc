/**
 * A create that got no answer within its attempt's timeout may still be waiting, unread, at the
 * API (queued behind a busy worker or a load balancer) and land after every read of the settle
 * window. Against a server that acts on creates late (test/hostile/late-reader.ts), absence is
 * taken as proof only from a read made `requestLifetimeMs` after the unanswered send (default:
 * twice the attempt's timeout), within one call and across a re-run of its scope.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFetch, ExistenceCheckError, idempotency, lookupExistence, memoryStore, retry, type LookupOptions, type RequestStore } from '../src/index.js';
import { startLateReader, type LateReader } from './hostile/late-reader.js';

let api: LateReader | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const timeoutMs = 300;
const body = JSON.stringify({ email: 'ada@example.com' });

function client(server: LateReader, options: { lookup?: Partial<LookupOptions>; retries?: boolean; store?: RequestStore; deadlineMs?: number } = {}) {
  const existenceCheck = lookupExistence({
    lookupUrl: ({ url }) => new URL('/v1/items?email=ada%40example.com', url),
    candidates: (found) => (Array.isArray(found) ? found : undefined),
    settleDelaysMs: [0, 50],
    ...options.lookup,
  });
  const middleware = [idempotency({ existenceCheck, ...(options.store === undefined ? {} : { store: options.store }) })];
  const sureFetch = createFetch({
    middleware: options.retries === false ? middleware : [...middleware, retry({ baseDelayMs: 1, maxAttempts: 3 })],
    attemptTimeoutMs: timeoutMs,
    ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
  });
  return (scope?: string) => sureFetch(`${server.url}/v1/items`, {
    method: 'POST', body, headers: { 'content-type': 'application/json' }, ...(scope === undefined ? {} : { surefetch: { idempotencyScope: scope } }),
  });
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
    expect(second - first).toBeGreaterThanOrEqual(2 * timeoutMs);
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

  it('a deadline that ends before the lifetime: the call fails closed with the client request id, one create', async () => {
    api = await startLateReader(() => 2000);
    const error = await client(api, { deadlineMs: 450 })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExistenceCheckError);
    expect((error as ExistenceCheckError).message).toContain((error as ExistenceCheckError).clientRequestId);
    expect((error as ExistenceCheckError).message).toContain('the call deadline comes before a send that timed out could have landed');
    expect(api.postTimes).toHaveLength(1);
  });

  it.each([-1, Number.NaN])('refuses requestLifetimeMs %s with a TypeError', (requestLifetimeMs) => {
    expect(() => lookupExistence({ lookupUrl: ({ url }) => url, candidates: () => [], requestLifetimeMs })).toThrow(TypeError);
  });
});
