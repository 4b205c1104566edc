/**
 * Out of attempts is not "failed" (issue 7): a protected create that gives up with its last
 * attempt ambiguous looks once more — found: the stored order is the result; proven absent:
 * `NotAppliedError`; undecided: `AmbiguousOutcomeError` — after its attempts or its deadline.
 * And lookups go through the caller's own chain: its fetch, its events, its rate limit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  AmbiguousOutcomeError,
  DeadlineExceededError,
  HttpError,
  NotAppliedError,
  rateLimit,
  RetryLaterError,
  type FetchFunction,
  type RateLimitMiddleware,
  type RateLimitOptions,
} from '../src/index.js';
import type { Fault } from './emulator/index.js';
import { client, closeAll, CREATE, createBody, LIST, listReads } from './exactly-once-harness.js';
import { ordersFor, posts, rejection, startApi } from './exactly-once-harness.js';

const limiters: RateLimitMiddleware[] = [];
afterEach(async () => {
  await closeAll();
  await Promise.all(limiters.splice(0).map((limit) => limit.close()));
});

const CRID = 'crid-give-up-1';
const reject500: Fault = { kind: 'reject-500' };

describe('attempts run out after an ambiguous attempt', () => {
  const lastLanded: Array<[string, number, Fault[]]> = [
    ['maxAttempts 1: the only attempt', 1, [{ kind: 'commit-then-500' }]],
    ['maxAttempts 2: the second attempt, after a first that did not land,', 2, [reject500, { kind: 'commit-then-500' }]],
  ];

  it.each(lastLanded)('%s landed and answered 500: the call resolves with the stored order (one order)', async (_name, maxAttempts, faults) => {
    const { api, clock } = await startApi();
    api.faults.script(CREATE, ...faults);
    const { create, events } = client(api, clock, { retry: { maxAttempts } });
    const response = await create({ clientRequestId: CRID });
    expect([response.status, ((await response.json()) as { id: string }).id]).toEqual([201, 'ord_000001']);
    expect([ordersFor(api).length, posts(api)]).toEqual([1, maxAttempts]);
    const recovered = events.filter((event) => event.type === 'recovered');
    expect(recovered).toEqual([expect.objectContaining({ via: 'lookup', attempt: maxAttempts })]);
  });

  it('neither attempt landed: NotAppliedError (NOT_APPLIED) with the client request id, and no order', async () => {
    const { api, clock } = await startApi();
    api.faults.script(CREATE, reject500, reject500);
    const error = await rejection(client(api, clock, { retry: { maxAttempts: 2 } }).create({ clientRequestId: CRID }));
    expect(error).toBeInstanceOf(NotAppliedError);
    expect(error).toMatchObject({ code: 'NOT_APPLIED', clientRequestId: CRID, attempts: 2 });
    expect((error as Error).cause).toBeInstanceOf(HttpError);
    expect([ordersFor(api).length, posts(api)]).toEqual([0, 2]);
  });

  it('the last look fails (404 on the list): AmbiguousOutcomeError, no order, no third POST', async () => {
    const { api, clock } = await startApi();
    api.faults.script(CREATE, reject500, reject500);
    // The check before attempt 2 reads the empty list 4 times; the last look's read is refused.
    const untouched: Fault = { kind: 'delay', ms: 0 };
    const notFound: Fault = { kind: 'respond', status: 404, body: { message: 'Not found' } };
    api.faults.script(LIST, untouched, untouched, untouched, untouched, notFound);
    const error = await rejection(client(api, clock, { retry: { maxAttempts: 2 } }).create({ clientRequestId: CRID }));
    expect(error).toBeInstanceOf(AmbiguousOutcomeError);
    expect(error).toMatchObject({ code: 'AMBIGUOUS_OUTCOME', clientRequestId: CRID });
    expect((error as Error).message).toMatch(/last look could not decide/);
    expect([ordersFor(api).length, posts(api), listReads(api).length]).toEqual([0, 2, 5]);
  });

  it('throwHttpErrors false: proven absent, the last 500 answer is returned; landed, the stored order is', async () => {
    const { api, clock } = await startApi();
    api.faults.script(CREATE, reject500, reject500, reject500, { kind: 'commit-then-500' });
    const { create } = client(api, clock, { retry: { maxAttempts: 2 }, fetchOptions: { throwHttpErrors: false } });
    const absent = await create({ idempotencyScope: 'job-absent' });
    expect([absent.status, ordersFor(api).length]).toEqual([500, 0]);
    const landed = await create({ idempotencyScope: 'job-landed' }, createBody({ campaignId: 'cmp_2' }));
    const landedId = ((await landed.json()) as { id: string }).id;
    expect([landed.status, landedId, api.records.orders.length, posts(api)]).toEqual([201, 'ord_000001', 1, 4]);
  });
});

describe('the deadline passes after an ambiguous attempt (the backoff would outlive it)', () => {
  // Backoff 2500 ms > deadline 1000 ms; the settle reads (0, 20, 40 ms on the manual clock) fit in it.
  const options = {
    retry: { baseDelayMs: 5000 },
    recipe: { settleDelaysMs: [0, 20, 40] },
    fetchOptions: { deadlineMs: 1000 },
  };

  it('the attempt landed: the call resolves with the stored order', async () => {
    const { api, clock } = await startApi();
    api.faults.script(CREATE, { kind: 'commit-then-500' });
    const response = await client(api, clock, options).create({ clientRequestId: CRID });
    expect([response.status, ((await response.json()) as { id: string }).id]).toEqual([201, 'ord_000001']);
    expect([ordersFor(api).length, posts(api), clock.sleeps]).toEqual([1, 1, [20, 40]]);
  });

  it('it did not land: NotAppliedError whose cause is the DeadlineExceededError', async () => {
    const { api, clock } = await startApi();
    api.faults.script(CREATE, reject500);
    const error = await rejection(client(api, clock, options).create({ clientRequestId: CRID }));
    expect(error).toMatchObject({ code: 'NOT_APPLIED', clientRequestId: CRID });
    expect((error as Error).cause).toBeInstanceOf(DeadlineExceededError);
    expect([ordersFor(api).length, posts(api)]).toEqual([0, 1]);
  });

  it('a deadline too short for the settle window: AmbiguousOutcomeError, never "failed", nothing re-sent', async () => {
    const { api, clock } = await startApi();
    api.faults.script(CREATE, { kind: 'commit-then-500' });
    const tight = { ...options, recipe: { settleDelaysMs: [0, 2000] } };
    const error = await rejection(client(api, clock, tight).create({ clientRequestId: CRID }));
    expect(error).toMatchObject({ code: 'AMBIGUOUS_OUTCOME', clientRequestId: CRID });
    expect((error as Error).message).toMatch(/deadline/);
    expect([ordersFor(api).length, posts(api)]).toEqual([1, 1]);
  });
});

describe("lookups go through the caller's chain", () => {
  it("every lookup is sent by the caller's own fetch, and its events carry purpose 'lookup'", async () => {
    const { api, clock } = await startApi();
    api.faults.script(CREATE, { kind: 'commit-then-reset' });
    const sent: string[] = [];
    const countingFetch: FetchFunction = (input, init) => {
      sent.push(`${init?.method ?? 'GET'} ${new URL(input instanceof Request ? input.url : input).pathname}`);
      return globalThis.fetch(input, init);
    };
    const { create, events } = client(api, clock, { fetchOptions: { fetch: countingFetch } });
    expect((await create()).status).toBe(201);
    expect(listReads(api).length).toBe(8);
    expect(sent).toEqual(api.requests.map((request) => `${request.method} ${request.path}`));
    const lookupEvents = events.filter((event) => event.url.includes('/v1/orders/list'));
    expect(lookupEvents.filter((event) => event.type === 'attempt')).toHaveLength(8);
    expect(lookupEvents.every((event) => event.purpose === 'lookup')).toBe(true);
    const createEvents = events.filter((event) => event.url.includes('/v1/orders/create'));
    expect(createEvents.every((event) => event.purpose === undefined)).toBe(true);
  });

  /**
   * Another worker with the same key spends half of a 10 s window of 2 requests; the stalled create
   * spends the rest and its answer (with the budget headers) never arrives: the first lookup meets a 429.
   */
  async function refusedLookup(limitOptions: RateLimitOptions) {
    const { api, clock } = await startApi({ rateLimit: { limit: 2, windowMs: 10_000 } });
    const other = await fetch(`${api.url}/v1/contacts/list`, { headers: { Authorization: `Bearer ${api.apiKey}` } });
    expect(other.status).toBe(200);
    api.faults.script(CREATE, { kind: 'commit-then-stall' });
    const limit = rateLimit(limitOptions);
    limiters.push(limit);
    const { create, events } = client(api, clock, { below: [limit] });
    return { api, clock, events, call: create({ clientRequestId: CRID }) };
  }

  it('with rateLimit() in the chain, a lookup answered 429 by the API is waited out, not a failure', async () => {
    const { api, clock, events, call } = await refusedLookup({});
    const response = await call;
    expect([response.status, ((await response.json()) as { id: string }).id]).toEqual([201, 'ord_000001']);
    expect([ordersFor(api).length, posts(api)]).toEqual([1, 1]);
    expect(listReads(api)[0]?.status).toBe(429);
    expect(api.stats.tooManyRequests).toBe(1);
    const waits = events.filter((event) => event.type === 'wait');
    expect(waits[0]).toMatchObject({ purpose: 'lookup', delayMs: 10_000 });
    expect(clock.sleeps).toContain(10_000);
  });

  it('a lookup refused for longer than maxWaitMs hands the RetryLaterError (retryAt) to the caller; no second POST', async () => {
    const { api, call } = await refusedLookup({ maxWaitMs: 5000 });
    const error = await rejection(call);
    expect(error).toBeInstanceOf(RetryLaterError);
    expect((error as RetryLaterError).retryAt).toBeGreaterThan(Date.now() - 60_000);
    expect([ordersFor(api).length, posts(api), listReads(api).map((request) => request.status)]).toEqual([1, 1, [429]]);
  });
});
