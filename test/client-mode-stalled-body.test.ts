/**
 * Client mode hands a refused answer (400 or more) to the client, which reads its body at once to
 * build its error. A server that sends the headers and half a JSON body, then nothing, must not
 * hold that read: surefetch reads the body first, within the call's `bodyTimeoutMs`, and a body
 * that stalls fails the client's read with surefetch's `BodyTimeoutError`.
 */
import { inspect } from 'node:util';
import { HTTPError } from 'ky';
import { FetchError } from 'ofetch';
import createClient from 'openapi-fetch';
import { afterEach, describe, expect, it } from 'vitest';
import { BodyTimeoutError, createFetch, factsOf, forClient } from '../src/index.js';
import { surefetchKy } from '../src/ky.js';
import { surefetchOfetch } from '../src/ofetch.js';
import { maxBufferedErrorBytes } from '../src/pipeline/client-answer.js';
import type { HostileServer } from './hostile/server.js';
import { startStalledBodyServer } from './hostile/stalled-body.js';
import { within } from './hostile/within.js';

const bodyTimeoutMs = 300;
// Far above the body timeout, far below the test's own timeout: a hang fails here, with a message.
const noHangMs = 5000;
const boundMs = 3000;
const SECRET = 'sk_live_SECRETSECRET123456';

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server that answers 400 with a JSON content type, writes half a body and never ends it. */
const stalled400 = (prefix?: string): Promise<HostileServer> =>
  startStalledBodyServer({ status: 400, ...(prefix === undefined ? {} : { prefix }) });
/** A server that answers 400 with `body`, complete. */
const complete400 = (body: string): Promise<HostileServer> => startStalledBodyServer({ status: 400, answer: () => ({ status: 400, body }) });
const sureFetch = (options: { bodyTimeoutMs?: number } = {}) => createFetch({ bodyTimeoutMs, ...options });
const elapsedSince = (started: number): number => performance.now() - started;

describe('client mode: a refused answer whose body stalls', () => {
  it('surefetchOfetch rejects within the bound with a FetchError: status 400, BodyTimeoutError as cause, facts, no secret', async () => {
    server = await stalled400();
    const api = surefetchOfetch(sureFetch(), { baseURL: server.url, headers: { Authorization: `Bearer ${SECRET}` } });
    const started = performance.now();
    const call = api(`/v1/orders?api_key=${SECRET}`, { surefetch: { clientRequestId: 'cr-ofetch' } });
    const error = await within(call, noHangMs).catch((e: unknown) => e);
    expect(elapsedSince(started)).toBeLessThan(boundMs);
    expect(error).toBeInstanceOf(FetchError);
    const fetchError = error as FetchError;
    expect(fetchError.status).toBe(400);
    expect(fetchError.cause).toBeInstanceOf(BodyTimeoutError);
    expect((fetchError.cause as BodyTimeoutError).timeoutMs).toBe(bodyTimeoutMs);
    expect(fetchError.data).toBeUndefined();
    expect(factsOf(error)).toMatchObject({ status: 400, verdict: 'terminal', clientRequestId: 'cr-ofetch' });
    expect(inspect(error, { depth: 8 })).not.toContain(SECRET);
  });

  it('forClient resolves the 400, whose text() rejects within the bound with BodyTimeoutError; the connection is closed', async () => {
    server = await stalled400();
    const started = performance.now();
    const response = await within(forClient(sureFetch())(`${server.url}/v1/orders`), noHangMs);
    expect(response.status).toBe(400);
    const error = await within(response.text(), noHangMs).catch((e: unknown) => e);
    expect(elapsedSince(started)).toBeLessThan(boundMs);
    expect(error).toBeInstanceOf(BodyTimeoutError);
    expect(factsOf(error)?.status).toBe(400);
    await within(server.hangUp(server.requests[0]!), noHangMs);
  });

  it('openapi-fetch rejects within the bound with the BodyTimeoutError, from which factsOf reads status 400', async () => {
    server = await stalled400();
    const api = createClient<Record<string, never>>({ baseUrl: server.url, fetch: forClient(sureFetch()) });
    const started = performance.now();
    const error = await within(api.GET('/v1/orders' as never), noHangMs).catch((e: unknown) => e);
    expect(elapsedSince(started)).toBeLessThan(boundMs);
    expect(error).toBeInstanceOf(BodyTimeoutError);
    expect(factsOf(error)?.status).toBe(400);
  });

  it('forClient: a reader of the body gets the bytes that arrived, then BodyTimeoutError', async () => {
    server = await stalled400('{"message":"half');
    const response = await within(forClient(sureFetch())(`${server.url}/v1/orders`), noHangMs);
    const reader = response.body!.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toBe('{"message":"half');
    await expect(within(reader.read(), noHangMs)).rejects.toBeInstanceOf(BodyTimeoutError);
  });

  it('surefetchKy rejects within createFetch\'s bodyTimeoutMs with an HTTPError of status 400', async () => {
    server = await stalled400();
    const api = surefetchKy(sureFetch(), { prefixUrl: server.url });
    const started = performance.now();
    const error = await within(api.get('v1/orders'), noHangMs).catch((e: unknown) => e);
    expect(elapsedSince(started)).toBeLessThan(boundMs);
    expect(error).toBeInstanceOf(HTTPError);
    expect((error as HTTPError).response.status).toBe(400);
  });

  it('a body that stalls after more than the buffered cap gives every byte that came, then BodyTimeoutError within the bound', async () => {
    const sent = 'x'.repeat(maxBufferedErrorBytes + 200_000);
    server = await stalled400(sent);
    const started = performance.now();
    const response = await within(forClient(sureFetch())(`${server.url}/v1/orders`), noHangMs);
    const reader = response.body!.getReader();
    let received = 0;
    const error = await within(
      (async () => {
        for (;;) received += (await reader.read()).value?.byteLength ?? 0;
      })(),
      noHangMs,
    ).catch((e: unknown) => e);
    expect(elapsedSince(started)).toBeLessThan(boundMs);
    expect(error).toBeInstanceOf(BodyTimeoutError);
    expect(received).toBe(sent.length);
  });

  it('a caller abort while the body is read rejects the call with the caller\'s reason, promptly, and closes the connection', async () => {
    server = await stalled400();
    const controller = new AbortController();
    const reason = new Error('job cancelled');
    const call = forClient(sureFetch({ bodyTimeoutMs: 60_000 }))(`${server.url}/v1/orders`, { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 100);
    const started = performance.now();
    await expect(within(call, noHangMs)).rejects.toBe(reason);
    expect(elapsedSince(started)).toBeLessThan(boundMs);
    await within(server.hangUp(server.requests[0]!), noHangMs);
  });
});

describe('client mode: what is not buffered, and complete bodies', () => {
  it('a 200 whose body stalls is returned before its body ends (success bodies are the caller\'s to read)', async () => {
    server = await startStalledBodyServer({ status: 200 });
    const response = await within(forClient(sureFetch({ bodyTimeoutMs: 60_000 }))(`${server.url}/v1/orders`), noHangMs);
    expect(response.status).toBe(200);
    await response.body?.cancel();
  });

  it('with bodyTimeoutMs 0 (no bound), a 400 whose body stalls is returned unread', async () => {
    server = await stalled400();
    const response = await within(forClient(sureFetch({ bodyTimeoutMs: 0 }))(`${server.url}/v1/orders`), noHangMs);
    expect(response.status).toBe(400);
    await response.body?.cancel();
  });

  it('a complete 400 body larger than the buffered cap arrives whole, byte for byte', async () => {
    const length = maxBufferedErrorBytes * 2 + 12_345;
    const body = Array.from({ length }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    server = await complete400(body);
    const response = await within(forClient(sureFetch())(`${server.url}/v1/orders`), noHangMs);
    expect(response.status).toBe(400);
    const received = new Uint8Array(await within(response.arrayBuffer(), noHangMs));
    expect(received.byteLength).toBe(body.length);
    expect(Buffer.from(received).equals(Buffer.from(body))).toBe(true);
  });

  it('a complete 400 body of 8 MiB read 600 ms after the answer (twice bodyTimeoutMs) arrives whole: the client\'s pause does not count', async () => {
    const length = 8 * 1024 * 1024;
    const body = Array.from({ length: 1024 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('').repeat(length / 1024);
    server = await complete400(body);
    const response = await within(forClient(sureFetch())(`${server.url}/v1/orders`), noHangMs);
    await new Promise((resolve) => setTimeout(resolve, 2 * bodyTimeoutMs));
    const received = new Uint8Array(await within(response.arrayBuffer(), noHangMs));
    expect(received.byteLength).toBe(length);
    expect(Buffer.from(received).equals(Buffer.from(body))).toBe(true);
  });

  it.each([600, 799, 999])('an answer of status %i (outside 200-599) keeps its body, as fetch gave it', async (status) => {
    const body = JSON.stringify({ error: 'over quota' });
    server = await startStalledBodyServer({ status, answer: () => ({ status, body }) });
    const response = await within(forClient(sureFetch())(`${server.url}/v1/orders`), noHangMs);
    expect(response.status).toBe(status);
    expect(await within(response.text(), noHangMs)).toBe(body);
  });

  it('a complete small 400: same status, headers and url, factsOf reads its client request id, ofetch\'s data is the parsed body', async () => {
    const body = JSON.stringify({ message: 'amount must be positive', field: 'amount' });
    server = await complete400(body);
    const url = `${server.url}/v1/orders`;
    const response = await forClient(sureFetch())(url, { surefetch: { clientRequestId: 'cr-small' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.url).toBe(url);
    expect(factsOf(response)).toMatchObject({ status: 400, clientRequestId: 'cr-small' });
    expect(await response.text()).toBe(body);

    const api = surefetchOfetch(sureFetch(), { baseURL: server.url });
    const error = (await api('/v1/orders', { surefetch: { clientRequestId: 'cr-ofetch' } }).catch((e: unknown) => e)) as FetchError;
    expect(error).toBeInstanceOf(FetchError);
    expect(error.data).toEqual({ message: 'amount must be positive', field: 'amount' });
    expect(factsOf(error)).toMatchObject({ status: 400, clientRequestId: 'cr-ofetch' });
  });
});
