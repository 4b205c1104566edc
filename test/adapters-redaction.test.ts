/**
 * The client adapters (`surefetchOfetch`, `surefetchKy`) hand the caller the client's own error,
 * which the client builds from the request and the answer: the URL with its `api_key`, the
 * `Authorization` header, the JSON body with its password, and a server's body and headers that
 * echo them. None of those may reach the caller; the rest of the error stays useful.
 */
import { createServer } from 'node:net';
import { inspect } from 'node:util';
import { HTTPError } from 'ky';
import { FetchError } from 'ofetch';
import { afterEach, describe, expect, it } from 'vitest';
import { NetworkError, createFetch, createManualClock, factsOf, retry } from '../src/index.js';
import { redactData } from '../src/clients/redact-data.js';
import { errorBodyTimeoutMs } from '../src/clients/redacted-response.js';
import { surefetchKy } from '../src/ky.js';
import { surefetchOfetch } from '../src/ofetch.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';
import { startStalledBodyServer } from './hostile/stalled-body.js';
import { within } from './hostile/within.js';

const SECRET = 'sk_live_SECRETSECRET123456';
const PASSWORD = 'hunter2hunter2';
const OTHER_KEY = 'xk_OTHERKEY987654321';
const authorization = { Authorization: `Bearer ${SECRET}` };
const path = `v1/charges?api_key=${SECRET}&page=2`;
const order = { password: PASSWORD, amount: 12 };

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server that refuses every request with a 400 quoting its credentials, body and header. */
function startEchoServer(contentType = 'application/json'): Promise<HostileServer> {
  return startHostileServer((seen, response) => {
    const credentials = `${seen.headers.authorization ?? ''} ${String(seen.headers['x-api-key'] ?? '')}`;
    response.writeHead(400, { 'content-type': contentType, 'x-echo': credentials, 'set-cookie': `session=${SECRET}` });
    const error = `bad key ${credentials} url ${seen.path} body ${seen.body}`;
    response.end(JSON.stringify({ code: 'INVALID_KEY', field: 'amount', error }));
  });
}

const sureFetch = () => createFetch({ middleware: [retry()], clock: createManualClock() });
const show = (value: unknown): string => inspect(value, { depth: 6, getters: true, showHidden: false });
const headerText = (headers: Headers | undefined): string => JSON.stringify([...(headers ?? new Headers())]);

/** How often a secret appears in each place. */
function leaks(places: Record<string, unknown>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [place, value] of Object.entries(places)) {
    const text = typeof value === 'string' ? value : show(value);
    counts[place] = [SECRET, PASSWORD, OTHER_KEY].reduce((sum, secret) => sum + text.split(secret).length - 1, 0);
  }
  return counts;
}
const none = (counts: Record<string, number>): Record<string, number> => Object.fromEntries(Object.keys(counts).map((place) => [place, 0]));

/** Every place of ofetch's FetchError a secret could show in. */
function ofetchPlaces(error: FetchError): Record<string, unknown> {
  const response = error.response;
  return {
    inspect: error,
    message: error.message,
    stack: error.stack,
    data: JSON.stringify(error.data),
    responseData: JSON.stringify(response?._data),
    options: error.options,
    optionHeaders: headerText(error.options?.headers as Headers | undefined),
    optionBody: String(error.options?.body),
    request: String(error.request),
    responseHeaders: headerText(response?.headers),
    responseUrl: String(response?.url),
  };
}

/** Every place of ky's HTTPError a secret could show in, its answer's body read. */
async function kyPlaces(error: HTTPError): Promise<Record<string, unknown>> {
  return {
    inspect: error,
    message: error.message,
    stack: error.stack,
    body: await within(error.response.text(), 2000),
    responseHeaders: headerText(error.response.headers),
    responseUrl: error.response.url,
    requestUrl: error.request.url,
    requestHeaders: headerText(error.request.headers),
    requestBody: await within(error.request.text(), 2000),
    options: error.options,
    optionHeaders: headerText(error.options.headers as Headers),
    optionJson: JSON.stringify((error.options as { json?: unknown }).json),
    optionBody: String(error.options.body),
  };
}

describe('surefetchOfetch: FetchError without the request\'s secrets', () => {
  it('leaves no secret (header, api_key, password) in the message, stack, data, options, request or response, and keeps status, data fields and facts', async () => {
    server = await startEchoServer();
    const api = surefetchOfetch(sureFetch(), { baseURL: server.url, headers: authorization });
    const call = api(`/${path}`, { method: 'POST', body: order, surefetch: { clientRequestId: 'cr-ofetch' } });
    const error = await call.catch((e: unknown) => e);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(error).toBeInstanceOf(FetchError);
    const fetchError = error as FetchError<{ code: string; field: string; error: string }>;
    const counts = leaks(ofetchPlaces(fetchError));
    expect(counts).toEqual(none(counts));
    expect(fetchError.name).toBe('FetchError');
    expect([fetchError.status, fetchError.statusCode, fetchError.statusText]).toEqual([400, 400, 'Bad Request']);
    expect(fetchError.data).toMatchObject({ code: 'INVALID_KEY', field: 'amount' });
    expect(fetchError.data?.error).toContain('bad key [redacted]');
    expect(fetchError.message).toContain('/v1/charges?api_key=[redacted]&page=2');
    expect(factsOf(error)).toMatchObject({ status: 400, verdict: 'terminal', clientRequestId: 'cr-ofetch' });
  });

  it('redacts an error body ofetch keeps as a Blob (a content type it does not parse)', async () => {
    server = await startEchoServer('application/problem+xml');
    const api = surefetchOfetch(sureFetch(), { baseURL: server.url, headers: authorization });
    const error = (await api(`/${path}`, { method: 'POST', body: order }).catch((e: unknown) => e)) as FetchError<Blob>;
    expect(error.data).toBeInstanceOf(Blob);
    const text = await (error.data as Blob).text();
    expect(text).toContain('INVALID_KEY');
    expect(leaks({ text })).toEqual({ text: 0 });
  });

  it('redacts the errors of .raw and of an instance made by .create', async () => {
    server = await startEchoServer();
    const api = surefetchOfetch(sureFetch(), { baseURL: server.url, headers: authorization });
    const rawError = (await api.raw(`/${path}`, { method: 'POST', body: order }).catch((e: unknown) => e)) as FetchError;
    const derived = api.create({ baseURL: server.url, headers: { 'X-Api-Key': OTHER_KEY } });
    const derivedError = (await derived(`/${path}`, { method: 'POST', body: order }).catch((e: unknown) => e)) as FetchError;
    expect(server.requests[1]?.headers['x-api-key']).toBe(OTHER_KEY);
    for (const error of [rawError, derivedError]) {
      expect(error).toBeInstanceOf(FetchError);
      expect(error.status).toBe(400);
      const counts = leaks(ofetchPlaces(error));
      expect(counts).toEqual(none(counts));
    }
  });

  it('runs a call\'s own onResponseError hook, and the error thrown after it is redacted', async () => {
    server = await startEchoServer();
    const api = surefetchOfetch(sureFetch(), { baseURL: server.url, headers: authorization });
    const seen: number[] = [];
    const onResponseError = ({ response }: { response: Response }): void => void seen.push(response.status);
    const error = (await api(`/${path}`, { method: 'POST', body: order, onResponseError }).catch((e: unknown) => e)) as FetchError;
    expect(seen).toEqual([400]);
    const counts = leaks(ofetchPlaces(error));
    expect(counts).toEqual(none(counts));
  });

  it('a refused connection gives a FetchError without the secret, with surefetch\'s NetworkError as its cause', async () => {
    const closed = await closedPortUrl();
    const api = surefetchOfetch(createFetch({ middleware: [retry({ maxAttempts: 1 })] }), { baseURL: closed, headers: authorization });
    const error = (await api(`/${path}`, { method: 'POST', body: order }).catch((e: unknown) => e)) as FetchError;
    expect(error).toBeInstanceOf(FetchError);
    expect(error.cause).toBeInstanceOf(NetworkError);
    expect(error.response).toBeUndefined();
    const counts = leaks(ofetchPlaces(error));
    expect(counts).toEqual(none(counts));
  });

  it('a call the caller aborted keeps the abort reason as the very cause, and its message loses the secret', async () => {
    server = await startEchoServer();
    const api = surefetchOfetch(sureFetch(), { baseURL: server.url, headers: authorization });
    const reason = new Error('the job was cancelled');
    const error = (await api(`/${path}`, { signal: AbortSignal.abort(reason) }).catch((e: unknown) => e)) as FetchError;
    expect(error).toBeInstanceOf(FetchError);
    expect(error.cause).toBe(reason);
    expect(leaks({ message: error.message, stack: error.stack })).toEqual({ message: 0, stack: 0 });
  });

  it('passes an error that is not ofetch\'s (a hook\'s own) through as the very same object', async () => {
    server = await startEchoServer();
    const mine = new Error(`hook failed for ${SECRET}`);
    const api = surefetchOfetch(sureFetch(), {
      baseURL: server.url,
      onRequest: () => {
        throw mine;
      },
    });
    expect(await api(`/${path}`).catch((e: unknown) => e)).toBe(mine);
  });
});

describe('surefetchKy: HTTPError without the request\'s secrets', () => {
  it('leaves no secret (header, api_key, password) in the message, stack, request, options or response, and keeps status, body fields and facts', async () => {
    server = await startEchoServer();
    const api = surefetchKy(sureFetch(), { prefixUrl: server.url, headers: authorization });
    const error = await api.post(path, { json: order, surefetch: { clientRequestId: 'cr-ky' } }).catch((e: unknown) => e);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(error).toBeInstanceOf(HTTPError);
    const httpError = error as HTTPError;
    expect(factsOf(error)).toMatchObject({ status: 400, verdict: 'terminal', clientRequestId: 'cr-ky' });
    const body = (await httpError.response.clone().json()) as { code: string; field: string; error: string };
    const counts = leaks(await kyPlaces(httpError));
    expect(counts).toEqual(none(counts));
    expect(httpError.name).toBe('HTTPError');
    expect([httpError.response.status, httpError.response.statusText]).toEqual([400, 'Bad Request']);
    expect(body).toMatchObject({ code: 'INVALID_KEY', field: 'amount' });
    expect(body.error).toContain('bad key [redacted]');
    expect(httpError.message).toContain('/v1/charges?api_key=[redacted]&page=2');
    expect((httpError.options as { json?: unknown }).json).toEqual({ password: '[redacted]', amount: 12 });
  });

  it('runs your beforeError hook after surefetch\'s, on the redacted error', async () => {
    server = await startEchoServer();
    const seen: string[] = [];
    const api = surefetchKy(sureFetch(), {
      prefixUrl: server.url,
      headers: authorization,
      hooks: { beforeError: [(error) => (seen.push(`${error.message} ${error.request.headers.get('authorization')}`), error)] },
    });
    const error = await api.post(path, { json: order }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HTTPError);
    expect(seen).toHaveLength(1);
    expect(leaks({ seen: seen[0] })).toEqual({ seen: 0 });
    expect(seen[0]).toContain('[redacted]');
  });

  it('redacts the errors of an instance made by .extend and of a call with its own beforeError hooks', async () => {
    server = await startEchoServer();
    const api = surefetchKy(sureFetch(), { prefixUrl: server.url, headers: authorization }).extend({ headers: { 'X-Api-Key': OTHER_KEY } });
    const error = (await api.post(path, { json: order, hooks: { beforeError: [(e) => e] } }).catch((e: unknown) => e)) as HTTPError;
    expect(server.requests[0]?.headers['x-api-key']).toBe(OTHER_KEY);
    expect(error).toBeInstanceOf(HTTPError);
    const counts = leaks(await kyPlaces(error));
    expect(counts).toEqual(none(counts));
  });

  it('an error body that stalls after its headers is cut at the call\'s bodyTimeoutMs: the error arrives with what came, without the start of the secret it ends in', async () => {
    server = await startStalledBodyServer({ status: 400, prefix: `{"message":"bad key ${SECRET.slice(0, 14)}` });
    const api = surefetchKy(sureFetch(), { prefixUrl: server.url, headers: authorization });
    const started = performance.now();
    const error = (await within(api.get(path, { surefetch: { bodyTimeoutMs: 300 } }), 5000).catch((e: unknown) => e)) as HTTPError;
    expect(error).toBeInstanceOf(HTTPError);
    const body = await within(error.response.text(), 1000);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(body).toBe('{"message":"bad key [redacted]');
    expect(error.response.status).toBe(400);
  });

  it('bounds the error body read by a positive finite bodyTimeoutMs of the call, else by 10 s', () => {
    expect(errorBodyTimeoutMs({ bodyTimeoutMs: 250 })).toBe(250);
    const unbounded = [undefined, {}, { bodyTimeoutMs: 0 }, { bodyTimeoutMs: Number.POSITIVE_INFINITY }, { bodyTimeoutMs: -1 }, { bodyTimeoutMs: '5' }];
    for (const options of unbounded) expect(errorBodyTimeoutMs(options)).toBe(10_000);
  });
});

describe('redactData: the walk over parsed error data', () => {
  it('redacts strings and keys of arrays and plain objects, keeps other values, and turns a cycle or a throwing getter into [redacted]', () => {
    const json = (secret: string): string => `{"__proto__":{"note":"${secret}"},"list":["key ${secret}",1,null,true],"${secret}":2}`;
    const parsed = JSON.parse(json(SECRET)) as object;
    const date = new Date(0);
    const cyclic: Record<string, unknown> = { text: `bad ${PASSWORD}` };
    cyclic.self = cyclic;
    const throwing = Object.defineProperty({}, 'bad', {
      enumerable: true,
      get: () => {
        throw new Error('no');
      },
    });
    const out = redactData({ parsed, date, cyclic, throwing: [throwing] }, [SECRET, PASSWORD]) as Record<string, unknown>;
    expect(out).toEqual({
      parsed: JSON.parse(json('[redacted]')),
      date,
      cyclic: { text: 'bad [redacted]', self: '[redacted]' },
      throwing: ['[redacted]'],
    });
    expect(out.date).toBe(date);
    expect(redactData(throwing, [SECRET])).toBe('[redacted]');
  });
});

/** A URL on a port nothing listens on: bound, then released. */
async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
