import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CircuitOpenError, HttpError, circuitBreaker, createFetch, createManualClock, createRetryBudget, retry, type SurefetchEvent } from '../src/index.js';
import { apiKeyOf } from '../src/rate-limit/api-key.js';
import { startFulfillment, type FulfillmentEmulator } from './emulator/fulfillment.js';

let api: FulfillmentEmulator;
beforeAll(async () => {
  api = await startFulfillment();
});
afterAll(() => api.close());
afterEach(() => {
  api.faults.clear();
  api.endOutage();
  api.requests.length = 0;
});

const listUrl = () => `${api.url}/v1/orders/list?campaignId=c&email=a@b.c`;
const auth = () => ({ Authorization: `Bearer ${api.apiKey}` });

describe('circuitBreaker', () => {
  it('opens after consecutive failures and then fails fast without sending', async () => {
    api.faults.script('GET /v1/orders/list', ...Array.from({ length: 3 }, () => ({ kind: 'reject-500' as const })));
    const events: SurefetchEvent[] = [];
    const sureFetch = createFetch({ middleware: [circuitBreaker({ failureThreshold: 3, halfOpenAfterMs: 60_000 })], onEvent: (event) => events.push(event) });
    for (let index = 0; index < 3; index += 1) await expect(sureFetch(listUrl(), { headers: auth() })).rejects.toBeInstanceOf(HttpError);
    const error = await sureFetch(listUrl(), { headers: auth() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect((error as CircuitOpenError).retryAt).toBeGreaterThan(Date.now() + 50_000);
    expect(api.requests.length).toBe(3);
    expect(events.filter((event) => event.type === 'circuit').map((event) => event.type === 'circuit' && event.state)).toEqual(['open']);
  });

  it('does not count 4xx answers and 429s as failures', async () => {
    const sureFetch = createFetch({ middleware: [circuitBreaker({ failureThreshold: 2 })] });
    api.faults.script('GET /v1/orders/list', { kind: 'respond', status: 429 }, { kind: 'respond', status: 400, body: { message: 'bad' } }, { kind: 'respond', status: 404, body: { message: 'x' } });
    for (let index = 0; index < 3; index += 1) await expect(sureFetch(listUrl(), { headers: auth() })).rejects.toBeInstanceOf(HttpError);
    expect((await sureFetch(listUrl(), { headers: auth() })).status).toBe(200);
  });

  it('lets one probe through when half-open while the others wait for its outcome', async () => {
    const clock = createManualClock();
    const breaker = circuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 1000 });
    const sureFetch = createFetch({ middleware: [breaker], clock });
    api.faults.script('GET /v1/orders/list', { kind: 'reject-500' }, { kind: 'delay', ms: 150 });
    await expect(sureFetch(listUrl(), { headers: auth() })).rejects.toBeInstanceOf(HttpError);
    clock.advance(1000);
    const results = await Promise.all(Array.from({ length: 5 }, () => sureFetch(listUrl(), { headers: auth() }).then((response) => response.status)));
    expect(results).toEqual([200, 200, 200, 200, 200]);
    // The first of the five was the probe; the four others were sent only after it succeeded.
    const probeArrival = api.requests[1]?.time ?? 0;
    expect(api.requests.slice(2).every((request) => request.time >= probeArrival + 100)).toBe(true);
  });

  it('does not charge a GET the attempts it spent as the breaker\'s probe: it waits for the next probe instead', async () => {
    const clock = createManualClock();
    const sureFetch = createFetch({ middleware: [retry({ maxAttempts: 3, maxWaits: 10 }), circuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 1000 })], clock });
    api.faults.script('GET /v1/orders/list', ...Array.from({ length: 4 }, () => ({ kind: 'respond' as const, status: 503 })));
    const response = await sureFetch(listUrl(), { headers: auth() });
    expect(response.status).toBe(200);
    // One send, three failed probes, one good probe: five sends on an allowance of three attempts.
    expect(api.requests.length).toBe(5);
  });

  it('keeps the real outcome of a non-idempotent probe (a POST that failed may have landed)', async () => {
    const clock = createManualClock();
    const breaker = circuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 1000 });
    const opener = createFetch({ middleware: [breaker], clock });
    const sureFetch = createFetch({ middleware: [retry({ maxWaits: 10 }), breaker], clock });
    api.faults.script('GET /v1/orders/list', { kind: 'respond', status: 503 });
    await expect(opener(listUrl(), { headers: auth() })).rejects.toBeInstanceOf(HttpError);
    clock.advance(1000);
    api.faults.script('POST /v1/contacts/create', { kind: 'commit-then-500' });
    const error = await sureFetch(`${api.url}/v1/contacts/create`, { method: 'POST', headers: { ...auth(), 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'probe@example.com', name: 'P' }) }).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('AMBIGUOUS_OUTCOME');
  });

  it('rides out an outage: every call succeeds and the outage sees few requests per call', async () => {
    const calls = 20;
    api.outage(800, { status: 503 });
    const outageEnds = Date.now() + 800;
    const sureFetch = createFetch({
      middleware: [retry({ maxWaits: 20, baseDelayMs: 50 }), circuitBreaker({ failureThreshold: 5, halfOpenAfterMs: 200 })],
    });
    const statuses = await Promise.all(Array.from({ length: calls }, () => sureFetch(listUrl(), { headers: auth(), surefetch: { deadlineMs: 10_000 } }).then((r) => r.status)));
    expect(statuses.every((status) => status === 200)).toBe(true);
    const duringOutage = api.requests.filter((request) => request.time < outageEnds).length;
    expect(duringOutage / calls).toBeLessThanOrEqual(1.5);
  });
});

describe('retry budget', () => {
  it('stops retrying when the quota of an API is spent, and refills on success', async () => {
    const budget = createRetryBudget({ capacity: 10, retryCost: 5 });
    const sureFetch = createFetch({ middleware: [retry({ budget, maxAttempts: 4 })], clock: createManualClock() });
    api.faults.script('GET /v1/orders/list', ...Array.from({ length: 8 }, () => ({ kind: 'reject-500' as const })));
    await expect(sureFetch(listUrl(), { headers: auth() })).rejects.toBeInstanceOf(HttpError);
    // First call: 1 send + 2 retries (10 tokens / 5 per retry); second call: no retry left.
    expect(api.requests.length).toBe(3);
    await expect(sureFetch(listUrl(), { headers: auth() })).rejects.toBeInstanceOf(HttpError);
    expect(api.requests.length).toBe(4);
    const name = apiKeyOf({ url: listUrl(), method: 'GET', headers: new Headers(auth()), body: null, replayable: true, options: {} });
    expect(budget.tokens(name)).toBe(0);
    api.faults.clear();
    await sureFetch(listUrl(), { headers: auth() });
    expect(budget.tokens(name)).toBe(1);
  });
});
