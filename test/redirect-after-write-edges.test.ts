/**
 * A write answered 301/302/303 and followed as a GET, where the GET's outcome could still decide
 * the write's fate or report it wrongly: a 3xx with nowhere to go, the attempt timeout or the
 * caller's abort during the GET, a Location with credentials, the GET's error naming the POST.
 * From a skeptic's review; each failed on the commit that introduced REDIRECT_FAILED (f3d3c03).
 * Real local servers.
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpError, RedirectError, createFetch, idempotency, memoryStore, queueDecisionOf, rateLimit, retry } from '../src/index.js';
import { lateItemsCheck, postItem } from './hostile/late-reader.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

const servers: HostileServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

type ItemGet = (response: import('node:http').ServerResponse, n: number) => void;

/**
 * An API that commits `POST /v1/items` at once and answers 303 to `/v1/items/<id>`; the GET of
 * that Location is answered by `itemGet`; `GET /v1/items?email=` lists the items (the existence
 * check's read).
 */
async function itemsApi(itemGet: ItemGet) {
  const items: { id: string; email: string; createdAt: string }[] = [];
  let gets = 0;
  const server = await startHostileServer((seen, response) => {
    const url = new URL(seen.path, 'http://items.test');
    if (seen.method === 'POST') {
      const { email } = JSON.parse(seen.body) as { email: string };
      const item = { id: `item_${items.length + 1}`, email, createdAt: new Date().toISOString() };
      items.push(item);
      return void response.writeHead(303, { location: `/v1/items/${item.id}` }).end();
    }
    if (url.pathname === '/v1/items') {
      return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(items.filter((i) => i.email === url.searchParams.get('email'))));
    }
    gets += 1;
    itemGet(response, gets);
  });
  servers.push(server);
  return Object.assign(server, { items });
}

const posts = (server: HostileServer): number => server.requests.filter((seen) => seen.method === 'POST').length;
const order = { method: 'POST', body: '{"sku":"A"}', headers: { 'content-type': 'application/json' } };

describe('a write answered 303, followed as a GET, whose GET is answered 3xx without a Location', () => {
  it('is not returned as the call\'s success: REDIRECT_FAILED, sent ambiguous', async () => {
    const api = await itemsApi((response) => response.writeHead(302, { 'content-type': 'text/plain' }).end('moved, somewhere'));
    const sureFetch = createFetch({ middleware: [retry({ baseDelayMs: 1 })], redirects: { followAsGet: true } });
    const outcome = await postItem(sureFetch, api.url).then((response) => `resolved ${response.status}`, (error: unknown) => error);
    // f3d3c03: resolves with the GET's 302, a "success" (status < 400) for a create.
    expect(outcome).toBeInstanceOf(RedirectError);
    expect(outcome).toMatchObject({ code: 'REDIRECT_FAILED', sent: 'ambiguous' });
    expect(posts(api)).toBe(1);
  });

  it('does not leave the record "delivered": a re-run of the scope does not create it again', async () => {
    const api = await itemsApi((response) => response.writeHead(302, { 'content-type': 'text/plain' }).end('moved, somewhere'));
    const store = memoryStore();
    const sureFetch = createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 1 })], redirects: { followAsGet: true } });
    await postItem(sureFetch, api.url, 'job-302:create').catch(() => undefined);
    await postItem(sureFetch, api.url, 'job-302:create').catch(() => undefined);
    // f3d3c03: run 1 resolved 302, the record kept lastSent 'delivered' (pending), and run 2 sent the create again
    // without asking the existence check: two items.
    expect(api.items).toHaveLength(1);
    expect(posts(api)).toBe(1);
  });
});

describe('the attempt timeout while the GET of a write answered 303 is under way', () => {
  it('an error answer to the GET whose body outlasts attemptTimeoutMs is REDIRECT_FAILED with that answer, not ATTEMPT_TIMEOUT', async () => {
    const api = await itemsApi((response) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.write('{"message":');
      setTimeout(() => response.end('"read it later"}'), 300);
    });
    const sureFetch = createFetch({ middleware: [retry({ baseDelayMs: 1 })], redirects: { followAsGet: true }, attemptTimeoutMs: 100, bodyTimeoutMs: 5000 });
    const error = await postItem(sureFetch, api.url).catch((e: unknown) => e);
    expect(posts(api)).toBe(1);
    // f3d3c03: AmbiguousOutcomeError ← AttemptTimeoutError "no answer within 100 ms" ← RedirectError: the GET was answered
    // 500 at once; the attempt's timer, never released before followRedirects returns, also bounds the error body's read.
    expect(error).toBeInstanceOf(RedirectError);
    expect((error as RedirectError).cause).toBeInstanceOf(HttpError);
    expect((error as RedirectError).cause).toMatchObject({ status: 500, serverMessage: 'read it later' });
  });

  it('with an idempotency key, a GET slower than attemptTimeoutMs does not make retry send the create again', async () => {
    const api = await itemsApi((response) => {
      setTimeout(() => {
        if (!response.destroyed) response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      }, 400);
    });
    const sureFetch = createFetch({ middleware: [idempotency({ keyHeader: 'idempotency-key' }), retry({ baseDelayMs: 1 })], redirects: { followAsGet: true }, attemptTimeoutMs: 100 });
    const error = await postItem(sureFetch, api.url).catch((e: unknown) => e);
    // f3d3c03: AttemptTimeoutError (transient, ambiguous), so retry re-sent the POST 3 times on the GET's word
    // (README: "nothing sends it again on the GET's word"), and a job queue is told to run it again.
    expect(posts(api)).toBe(1);
    expect(error).toMatchObject({ code: 'REDIRECT_FAILED', sent: 'ambiguous' });
    expect(queueDecisionOf(error).action).toBe('fail');
  });
});

describe('a caller that leaves during the GET of a write answered 303', () => {
  it('leaves no send out at the API: a re-run of the scope finds the item at once', async () => {
    const api = await itemsApi((response) => {
      setTimeout(() => {
        if (!response.destroyed) response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      }, 1000);
    });
    const store = memoryStore();
    const sureFetch = createFetch({ middleware: [idempotency({ store, existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 1 })], redirects: { followAsGet: true } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('job cancelled')), 150);
    const item = { method: 'POST', body: JSON.stringify({ email: 'ada@example.com' }), headers: { 'content-type': 'application/json' } };
    await sureFetch(`${api.url}/v1/items`, { ...item, signal: controller.signal, surefetch: { idempotencyScope: 'job-abort:create' } }).catch(() => undefined);
    const startedAt = Date.now();
    const outcome = await sureFetch(`${api.url}/v1/items`, { ...item, surefetch: { idempotencyScope: 'job-abort:create', deadlineMs: 5000 } })
      .then((response) => response.status, (error: unknown) => error);
    // f3d3c03: the POST, answered 303, is recorded as abandoned unanswered (unanswered.timeoutMs 30000), and the
    // re-run's existence check waits for it: 60 s before it resolves (here: past its 5 s deadline).
    expect(outcome).toBe(201);
    expect(Date.now() - startedAt).toBeLessThan(3000);
    expect(api.items).toHaveLength(1);
  });
});

describe('what REDIRECT_FAILED carries', () => {
  it('a Location with user:password is refused (REDIRECT_REFUSED, sent ambiguous), and no credential of it reaches the error', async () => {
    const server = await startHostileServer((seen, response) => {
      if (seen.method === 'POST') {
        return void response.writeHead(303, { location: `http://reader:s3cr3t-pw@${seen.headers.host ?? ''}/v1/orders/ord_1?api_key=k3y-v4lue` }).end();
      }
      response.writeHead(200).end('{}');
    });
    servers.push(server);
    const sureFetch = createFetch({ middleware: [retry({ baseDelayMs: 1 })], redirects: { followAsGet: true } });
    const error = await sureFetch(`${server.url}/v1/orders`, order).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'REDIRECT_REFUSED', sent: 'ambiguous' });
    // f3d3c03: REDIRECT_FAILED, whose cause was undici's TypeError "Request cannot be constructed from a URL that includes credentials:
    // http://reader:s3cr3t-pw@…?api_key=k3y-v4lue", unredacted (the hop's secrets are not the request's).
    const text = inspect(error, { depth: 10 });
    expect(text).not.toContain('s3cr3t-pw');
    expect(text).not.toContain('k3y-v4lue');
  });

  it('its HttpError cause names the GET that was answered, not the POST (which was answered 303)', async () => {
    const server = await startHostileServer((seen, response) => {
      if (seen.method === 'POST') return void response.writeHead(303, { location: '/v1/orders/ord_1' }).end();
      response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' }).end('{"message":"slow down"}');
    });
    servers.push(server);
    const sureFetch = createFetch({ middleware: [retry({ baseDelayMs: 1 })], redirects: { followAsGet: true } });
    const error = (await sureFetch(`${server.url}/v1/orders`, order).catch((e: unknown) => e)) as RedirectError;
    const cause = error.cause as HttpError;
    // f3d3c03: "slow down (HTTP 429, POST http://…/v1/orders)".
    expect(cause.method).toBe('GET');
    expect(cause.url).toBe(`${server.url}/v1/orders/ord_1`);
  });
});
