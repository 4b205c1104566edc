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

let api: LateReader | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

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
});
