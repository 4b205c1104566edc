/**
 * The attempt events of every path a send can take (from a skeptic's review of the commit that
 * moved them to the terminal send): the first group failed on that commit (the 303 case on its
 * parent too), the second covers paths its own tests left out. Real local servers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  AttemptTimeoutError,
  BodyNotReplayableError,
  RedirectError,
  circuitBreaker,
  createFetch,
  idempotency,
  lookupExistence,
  memoryStore,
  otelAttributes,
  rateLimit,
  forClient,
  retry,
  type SurefetchEvent,
} from '../src/index.js';
import { surefetchOfetch } from '../src/ofetch.js';
import { surefetchKy } from '../src/ky.js';
import { lateItemsCheck } from './hostile/late-reader.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

type SendEvent = Extract<SurefetchEvent, { type: 'attempt' | 'attempt-end' }>;
const sendsOf = (events: SurefetchEvent[]): SendEvent[] => events.filter((e): e is SendEvent => e.type === 'attempt' || e.type === 'attempt-end');
const starts = (events: SurefetchEvent[]): SendEvent[] => sendsOf(events).filter((e) => e.type === 'attempt');
const ends = (events: SurefetchEvent[]) => sendsOf(events).filter((e): e is Extract<SurefetchEvent, { type: 'attempt-end' }> => e.type === 'attempt-end');

const postItemTo = (url: string, init: { signal?: AbortSignal; scope: string; maxWaitMs?: number }) => ({
  url: `${url}/v1/items`,
  init: {
    method: 'POST',
    body: JSON.stringify({ email: 'ada@example.com' }),
    headers: { 'content-type': 'application/json' },
    ...(init.signal === undefined ? {} : { signal: init.signal }),
    surefetch: { idempotencyScope: init.scope, ...(init.maxWaitMs === undefined ? {} : { maxWaitMs: init.maxWaitMs }) },
  },
});

describe('attempt events where a send is taken back, stopped or cannot go again', () => {
  it('a circuit breaker\'s failed probe, waived from the tally, does not make two requests share one send number', async () => {
    let n = 0;
    server = await startHostileServer((_seen, response) => {
      n += 1;
      response.writeHead(n <= 2 ? 500 : 200).end(); // 500, the probe's 500, then 200
    });
    const events: SurefetchEvent[] = [];
    const sureFetch = createFetch({
      middleware: [retry({ baseDelayMs: 1, maxDelayMs: 5 }), circuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 30 })],
      onEvent: (event) => events.push(event),
    });
    expect((await sureFetch(`${server.url}/v1/orders`)).status).toBe(200);
    expect(server.requests).toHaveLength(3);
    // README: "`send` counts the call's requests, every layer's". On 6f57416: [1, 2, 2].
    expect(starts(events).map((event) => event.send)).toEqual([1, 2, 3]);
    expect(otelAttributes(ends(events).at(-1)!)['http.request.resend_count']).toBe(2);
  });

  it('a listener that aborts the call on `attempt`: nothing left, so no send is recorded as out at the API and a re-run goes at once', async () => {
    server = await startHostileServer((seen, response) => {
      if (seen.method === 'GET') return void response.writeHead(200, { 'content-type': 'application/json' }).end('[]');
      response.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"item_1"}');
    });
    const store = memoryStore();
    const events: SurefetchEvent[] = [];
    const controller = new AbortController();
    const first = createFetch({
      middleware: [idempotency({ store, existenceCheck: lateItemsCheck() }), retry()],
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'attempt') controller.abort(); // e.g. "cancel the job" from a logger
      },
    });
    const call = postItemTo(server.url, { signal: controller.signal, scope: 'abort-in-listener', maxWaitMs: 2000 });
    await expect(first(call.url, call.init)).rejects.toMatchObject({ name: 'AbortError' });
    expect(server.requests).toHaveLength(0);
    // Nothing left: the record must not hold a send the API may still act on (6f57416: { sentAt, timeoutMs: 30000 }).
    expect((await store.get('abort-in-listener'))?.unanswered).toBeUndefined();
    // Before 6f57416 the re-run created the item at once; on it, RETRY_LATER ("may still land for 59947 ms").
    const rerun = createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() }), retry()] });
    const again = postItemTo(server.url, { scope: 'abort-in-listener', maxWaitMs: 2000 });
    const outcome = await rerun(again.url, again.init).then((r) => r.status, (error: unknown) => (error as { code?: string }).code);
    expect(outcome).toBe(201);
  });

  it('rateLimit does not re-send a one-shot body after a 429: one attempt pair, BodyNotReplayableError with the 429 as cause', async () => {
    let n = 0;
    server = await startHostileServer((_seen, response) => {
      n += 1;
      response.writeHead(n === 1 ? 429 : 200, { 'retry-after': '0' }).end();
    });
    const events: SurefetchEvent[] = [];
    const sureFetch = createFetch({ middleware: [rateLimit({ fallbackWaitMs: 5 })], maxReplayBytes: 4, onEvent: (event) => events.push(event) });
    const body = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(new TextEncoder().encode('hello world')); c.close(); } });
    const outcome = await sureFetch(`${server.url}/v1/upload`, { method: 'PUT', body, duplex: 'half' }).then((r) => r.status, (error: unknown) => error);
    expect(server.requests).toHaveLength(1);
    // 6f57416: a second pair (send 2, TypeError, sent 'ambiguous') for a request that never left.
    expect(starts(events)).toHaveLength(1);
    // Before, rateLimit re-sent a body it could not replay and the call rejected with fetch's TypeError.
    expect(outcome).toBeInstanceOf(BodyNotReplayableError);
    expect((outcome as BodyNotReplayableError).cause).toMatchObject({ status: 429 });
  });

  it('a POST answered 303 (followAsGet) whose GET hop fails is ambiguous, not re-sent: RedirectError REDIRECT_FAILED', async () => {
    const dead = await startHostileServer(() => undefined);
    const deadUrl = dead.url;
    await dead.close();
    server = await startHostileServer((_seen, response) => response.writeHead(303, { location: `${deadUrl}/v1/orders/1` }).end());
    const events: SurefetchEvent[] = [];
    const sureFetch = createFetch({ middleware: [retry({ baseDelayMs: 1 })], redirects: { followAsGet: true }, onEvent: (event) => events.push(event) });
    const error = await sureFetch(`${server.url}/v1/orders`, { method: 'POST', body: '{"sku":"A"}', headers: { 'content-type': 'application/json' } }).catch((e: unknown) => e);
    // The POST was delivered (303: "done, see there"); the library's own RedirectError calls it ambiguous.
    expect(ends(events)[0]?.sent).toBe('ambiguous');
    expect(error).toMatchObject({ code: 'REDIRECT_FAILED', sent: 'ambiguous' });
    expect((error as RedirectError).cause).toMatchObject({ code: 'NETWORK_ERROR', causeCode: 'ECONNREFUSED' });
    // 6f57416: the POST went to the server 4 times.
    expect(server.requests).toHaveLength(1);
  });
});

describe('attempt events on every other path', () => {
  it('a redirect chain is one pair with the final status; a refused redirect ends its pair with REDIRECT_REFUSED', async () => {
    server = await startHostileServer((seen, response) => {
      const to: Record<string, [number, string]> = { '/a': [307, '/b'], '/b': [308, '/c'], '/c': [301, '/d'], '/p': [302, '/d'] };
      const hop = to[seen.path];
      if (hop !== undefined) return void response.writeHead(hop[0], { location: hop[1] }).end();
      response.writeHead(200).end('ok');
    });
    const events: SurefetchEvent[] = [];
    const sureFetch = createFetch({ middleware: [retry()], onEvent: (event) => events.push(event) });
    await (await sureFetch(`${server.url}/a`)).text();
    expect(server.requests).toHaveLength(4);
    expect(sendsOf(events).map((e) => [e.type, e.send])).toEqual([['attempt', 1], ['attempt-end', 1]]);
    expect(ends(events)[0]).toMatchObject({ status: 200, verdict: 'success' });
    events.length = 0;
    await expect(sureFetch(`${server.url}/p`, { method: 'POST', body: 'x' })).rejects.toBeInstanceOf(RedirectError);
    expect(sendsOf(events)).toHaveLength(2);
    expect(ends(events)[0]).toMatchObject({ errorCode: 'REDIRECT_REFUSED', verdict: 'terminal', sent: 'ambiguous' });
  });

  it('a per-attempt timeout and a caller abort mid-send each end their pair, with or without retry', async () => {
    server = await startHostileServer(() => undefined); // never answers
    const events: SurefetchEvent[] = [];
    const retrying = createFetch({ middleware: [retry({ maxAttempts: 2, baseDelayMs: 1 })], attemptTimeoutMs: 100, onEvent: (event) => events.push(event) });
    await expect(retrying(`${server.url}/x`)).rejects.toBeInstanceOf(AttemptTimeoutError);
    expect(ends(events).map((e) => [e.send, e.errorCode, e.verdict, e.sent])).toEqual([[1, 'ATTEMPT_TIMEOUT', 'transient', 'ambiguous'], [2, 'ATTEMPT_TIMEOUT', 'transient', 'ambiguous']]);
    expect(starts(events)).toHaveLength(2);
    events.length = 0;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(retrying(`${server.url}/x`, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(ends(events).map((e) => [e.errorCode, e.verdict, e.sent])).toEqual([['AbortError', 'terminal', 'ambiguous']]);
    events.length = 0;
    const bare = createFetch({ attemptTimeoutMs: 100, onEvent: (event) => events.push(event) });
    await expect(bare(`${server.url}/x`)).rejects.toBeInstanceOf(AttemptTimeoutError);
    expect(sendsOf(events).map((e) => e.type)).toEqual(['attempt', 'attempt-end']);
  });

  it('existence-check lookups have their pairs (purpose lookup, credentials removed); a stored replay sends nothing and has none', async () => {
    const secret = 'sk_live_lookupSECRET123456';
    let posts = 0;
    server = await startHostileServer((seen, response) => {
      if (seen.method === 'GET') return void response.writeHead(200, { 'content-type': 'application/json' }).end('[]');
      posts += 1;
      response.writeHead(posts === 1 ? 500 : 201, { 'content-type': 'application/json' }).end(posts === 1 ? '{}' : '{"id":"item_1"}');
    });
    const check = lookupExistence({
      // The lookup keeps the create's query (its api_key) and adds the email.
      lookupUrl: ({ url }) => new URL(`/v1/items${url.search}&email=ada%40example.com`, url),
      candidates: (found) => (Array.isArray(found) ? found : undefined),
      settleDelaysMs: [0, 20],
    });
    const store = memoryStore();
    const events: SurefetchEvent[] = [];
    const sureFetch = createFetch({ middleware: [idempotency({ store, existenceCheck: check }), retry({ baseDelayMs: 1 })], onEvent: (event) => events.push(event) });
    const post = () => sureFetch(`${server!.url}/v1/items?api_key=${secret}`, { method: 'POST', body: JSON.stringify({ email: 'ada@example.com' }), headers: { 'content-type': 'application/json', 'x-api-key': secret }, surefetch: { idempotencyScope: 'lookups-1' } });
    expect((await post()).status).toBe(201);
    expect(server.requests.map((r) => r.method)).toEqual(['POST', 'GET', 'GET', 'POST']);
    expect(sendsOf(events).map((e) => `${e.type}${e.purpose === 'lookup' ? '/lookup' : ''} ${e.send}`)).toEqual([
      'attempt 1', 'attempt-end 1', 'attempt/lookup 1', 'attempt-end/lookup 1', 'attempt/lookup 1', 'attempt-end/lookup 1', 'attempt 2', 'attempt-end 2',
    ]);
    expect(server.requests[1]?.path).toContain(secret);
    expect(JSON.stringify(events)).not.toContain(secret);
    events.length = 0;
    const requestsBefore = server.requests.length;
    expect((await post()).status).toBe(201);
    expect(server.requests).toHaveLength(requestsBefore);
    expect(sendsOf(events)).toEqual([]);
  });

  it('client mode, ofetch and ky: one pair per request, numbered across retry\'s attempts', async () => {
    let n = 0;
    server = await startHostileServer((_seen, response) => {
      n += 1;
      response.writeHead(n % 2 === 1 ? 503 : 404, { 'content-type': 'application/json' }).end('{"m":1}');
    });
    const events: SurefetchEvent[] = [];
    const sureFetch = createFetch({ middleware: [retry({ baseDelayMs: 1, maxAttempts: 2 })], onEvent: (event) => events.push(event) });
    const expected = [['attempt', 1], ['attempt-end', 1, 503], ['attempt', 2], ['attempt-end', 2, 404]];
    const shape = () => sendsOf(events).map((e) => (e.type === 'attempt' ? [e.type, e.send] : [e.type, e.send, e.status]));
    await (await forClient(sureFetch)(`${server.url}/x`)).text();
    expect(shape()).toEqual(expected);
    events.length = 0;
    await surefetchOfetch(sureFetch)(`${server.url}/x`).catch(() => undefined);
    expect(shape()).toEqual(expected);
    events.length = 0;
    await surefetchKy(sureFetch).get(`${server.url}/x`).catch(() => undefined);
    expect(shape()).toEqual(expected);
    expect(server.requests).toHaveLength(6);
  });
});
