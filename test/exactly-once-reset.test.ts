/**
 * A connection reset after the create was written, while the server goes on with it: a socket
 * timeout that destroys the connection but not the handler (Node's `server.setTimeout`, a proxy
 * that drops idle client connections), or a load balancer that resets on a deploy. The client
 * hears nothing at all, so the send is as unanswered as a timed-out one: absence is believed only
 * from a read made its lifetime after the reset. Against test/hostile/late-reader.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AmbiguousOutcomeError, createFetch, ExistenceCheckError, idempotency, memoryStore, NotAppliedError, queueDecisionOf, retry, RetryLaterError, retryAtOf } from '../src/index.js';
import { lateItemsCheck, postItem, startLateReader, type LateReader } from './hostile/late-reader.js';
import { startHostileServer } from './hostile/server.js';

let api: LateReader | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

// The connection is reset at 200 ms; the server commits the first create at 900 ms.
const startResetting = (): Promise<LateReader> => startLateReader((n) => (n === 1 ? 900 : 0), () => false, undefined, 200);
const attemptTimeoutMs = 600;

describe('a connection reset after the create was written, while the server still holds it', () => {
  it.each([['with a scope', 'job-r1'], ['without a scope', undefined]])('%s: the check reads until the lifetime after the reset, finds the create, sends once', async (_name, scope) => {
    api = await startResetting();
    const sureFetch = createFetch({ middleware: [idempotency({ existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 1 })], attemptTimeoutMs });
    const response = await postItem(sureFetch, api.url, scope);
    expect(((await response.json()) as { id: string }).id).toBe('item_1');
    expect([api.postTimes.length, api.items.length]).toEqual([1, 1]);
  });

  it('a call without retry ends on the reset: the record keeps the send unanswered, and a re-run at once waits for it and finds the create', async () => {
    api = await startResetting();
    const store = memoryStore();
    const once = createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() })], attemptTimeoutMs });
    await expect(postItem(once, api.url, 'job-r2')).rejects.toThrow();
    expect((await store.get('job-r2'))?.unanswered?.timeoutMs).toBe(attemptTimeoutMs);
    const rerun = await postItem(createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 1 })], attemptTimeoutMs }), api.url, 'job-r2');
    expect(((await rerun.json()) as { id: string }).id).toBe('item_1');
    expect([api.postTimes.length, api.items.length]).toEqual([1, 1]);
  });

  it('a deadline before the lifetime: ExistenceCheckError with the client request id, nothing re-sent', async () => {
    api = await startResetting();
    const sureFetch = createFetch({ middleware: [idempotency({ existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 1 })], attemptTimeoutMs, deadlineMs: 500 });
    const error = await postItem(sureFetch, api.url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExistenceCheckError);
    expect((error as ExistenceCheckError).clientRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(api.postTimes).toHaveLength(1);
  });
});

describe('a create whose wait before the re-send is handed to a job queue (maxWaitMs below the backoff)', () => {
  // The create's send ends at 200 ms (a reset, or a timeout to compare), and the server commits it at 2.5 s.
  it.each([
    ['a reset', { resetAfterMs: 200, attemptTimeoutMs: 3000 }],
    ['an attempt timeout', { resetAfterMs: undefined, attemptTimeoutMs: 200 }],
  ] as const)('%s: the record keeps the send unanswered although the call ended with RetryLaterError; the re-run at retryAt creates nothing more', async (_name, { resetAfterMs, attemptTimeoutMs }) => {
    api = await startLateReader((n) => (n === 1 ? 2500 : 0), () => false, undefined, resetAfterMs);
    const store = memoryStore();
    const worker = (): ReturnType<typeof createFetch> =>
      createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck({ requestLifetimeMs: 6000 }) }), retry({ baseDelayMs: 2000 })], attemptTimeoutMs, maxWaitMs: 500, random: () => 0.5 });
    const first = await postItem(worker(), api.url, 'job-q1').catch((e: unknown) => e);
    expect(first).toBeInstanceOf(RetryLaterError);
    expect((await store.get('job-q1'))?.unanswered).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, (first as RetryLaterError).retryAt - Date.now())));
    await postItem(worker(), api.url, 'job-q1').catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 2600));
    expect(api.postTimes).toHaveLength(1);
    expect(api.items).toHaveLength(1);
  }, 20_000);

  it('without a scope (nothing remembers the call): no RetryLaterError that a queue would re-send blind; the last look decides', async () => {
    // The first create is answered 500 (ambiguous) and not committed; the backoff exceeds maxWaitMs.
    api = await startLateReader(() => 0, (n) => n === 1);
    const sureFetch = createFetch({ middleware: [idempotency({ existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 2000 })], maxWaitMs: 500, random: () => 0.5 });
    const error = await postItem(sureFetch, api.url).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(RetryLaterError);
    expect(error).toBeInstanceOf(NotAppliedError);
    expect((error as NotAppliedError).message).toContain('maxWaitMs');
    expect(api.postTimes).toHaveLength(1);
  });
});

describe('a create without a scope, reset, whose backoff exceeds maxWaitMs and whose last look cannot decide', () => {
  it('is an AmbiguousOutcomeError with the reset as its cause, which a job queue fails (no retryAt to re-send at): one item', async () => {
    // Create 1 is reset at 200 ms and committed at 2.5 s: every read of the last look finds nothing.
    api = await startLateReader((n) => (n === 1 ? 2500 : 0), () => false, undefined, 200);
    const sureFetch = createFetch({ middleware: [idempotency({ existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 2000 })], attemptTimeoutMs: 3000, maxWaitMs: 500, random: () => 0.5 });
    const error = await postItem(sureFetch, api.url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmbiguousOutcomeError);
    expect((error as Error).cause).not.toBeInstanceOf(RetryLaterError);
    expect(retryAtOf(error)).toBeUndefined();
    expect(queueDecisionOf(error).action).toBe('fail');
    await new Promise((resolve) => setTimeout(resolve, 2600));
    expect(api.postTimes).toHaveLength(1);
    expect(api.items).toHaveLength(1);
  }, 20_000);
});

describe("a lookup's own reset", () => {
  it.each([['a reset', true], ['a timeout', false]])("(%s of the re-run's lookup) is not recorded as the create's unanswered send", async (_name, reset) => {
    const other = await startHostileServer((seen, response) => {
      if (seen.method === 'POST') return void response.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"boom"}');
      if (reset) response.socket?.resetAndDestroy();
      else setTimeout(() => void (response.destroyed || response.writeHead(200).end('[]')), 1000);
    });
    try {
      const store = memoryStore();
      const worker = (): ReturnType<typeof createFetch> =>
        createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 2000 })], attemptTimeoutMs: 300, maxWaitMs: 500, random: () => 0.5 });
      expect(await postItem(worker(), other.url, 'job-l1').catch((e: unknown) => e)).toBeInstanceOf(RetryLaterError);
      expect((await store.get('job-l1'))?.unanswered).toBeUndefined();
      await postItem(worker(), other.url, 'job-l1').catch(() => undefined);
      expect((await store.get('job-l1'))?.unanswered).toBeUndefined();
      expect(other.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    } finally {
      await other.close();
    }
  });
});
