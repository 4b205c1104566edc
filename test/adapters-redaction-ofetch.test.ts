/**
 * `surefetchOfetch` hands the caller ofetch's own `FetchError`, which ofetch builds from the
 * request and the answer: the URL with its `api_key`, the `Authorization` header, the body with
 * its password, and a server's body and headers that echo them. None of those may reach the
 * caller; the rest of the error stays useful.
 */
import { FetchError } from 'ofetch';
import { afterEach, describe, expect, it } from 'vitest';
import { NetworkError, createFetch, factsOf, retry } from '../src/index.js';
import { surefetchOfetch } from '../src/ofetch.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';
import {
  OTHER_KEY,
  PASSWORD,
  SECRET,
  authorization,
  closedPortUrl,
  leaks,
  none,
  ofetchPlaces,
  order,
  path,
  startBareEchoServer,
  startEchoServer,
  sureFetch,
} from './support/adapter-leaks.js';

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

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

describe('surefetchOfetch: what only the request surefetch sent tells, and what ofetch never sent', () => {
  it('a URLSearchParams body (no content type set): the password the server echoes bare is gone from data and the response headers', async () => {
    server = await startBareEchoServer();
    const api = surefetchOfetch(sureFetch(), { baseURL: server.url });
    const body = new URLSearchParams({ password: PASSWORD, user: 'ann' });
    const error = (await api('/v1/signup', { method: 'POST', body }).catch((e: unknown) => e)) as FetchError<{ detail: string; sentAs: string }>;
    expect(server.requests[0]?.body).toBe(`password=${PASSWORD}&user=ann`);
    expect(error).toBeInstanceOf(FetchError);
    expect(error.data?.sentAs).toMatch(/^application\/x-www-form-urlencoded/);
    expect(error.data?.detail).toBe('rejected [redacted]');
    expect(error.response?.headers.get('x-echo')).toBe('rejected [redacted]');
    const counts = leaks(ofetchPlaces(error));
    expect(counts).toEqual(none(counts));
  });

  it('a JSON string body labelled text/plain: the password the server echoes bare is gone from data and the response headers', async () => {
    server = await startBareEchoServer();
    const api = surefetchOfetch(sureFetch(), { baseURL: server.url });
    const error = (await api('/v1/signup', { method: 'POST', body: JSON.stringify(order), headers: { 'content-type': 'text/plain' } }).catch((e: unknown) => e)) as FetchError<{ detail: string; sentAs: string }>;
    expect(error).toBeInstanceOf(FetchError);
    expect(error.data?.sentAs).toMatch(/^text\/plain/);
    expect(error.data?.detail).toBe('rejected [redacted]');
    expect(error.response?.headers.get('x-echo')).toBe('rejected [redacted]');
    const counts = leaks(ofetchPlaces(error));
    expect(counts).toEqual(none(counts));
  });

  it('a Request whose JSON body holds a password: the password the server echoes bare is gone from data and the response headers', async () => {
    server = await startBareEchoServer();
    const api = surefetchOfetch(sureFetch());
    const request = new Request(`${server.url}/v1/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(order) });
    const error = (await api(request).catch((e: unknown) => e)) as FetchError<{ detail: string }>;
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual(order);
    expect(error).toBeInstanceOf(FetchError);
    expect(error.data?.detail).toBe('rejected [redacted]');
    expect(error.response?.headers.get('x-echo')).toBe('rejected [redacted]');
    const counts = leaks(ofetchPlaces(error));
    expect(counts).toEqual(none(counts));
  });

  it('query and params options on a Request input, which ofetch never sends: credential-named entries are [redacted] by name, the others kept', async () => {
    server = await startEchoServer();
    const api = surefetchOfetch(sureFetch());
    const error = (await api(new Request(`${server.url}/v1/charges`), { query: { api_key: SECRET, page: 2 } }).catch((e: unknown) => e)) as FetchError;
    expect(server.requests[0]?.path).toBe('/v1/charges');
    expect(error).toBeInstanceOf(FetchError);
    expect(error.options?.query).toEqual({ api_key: '[redacted]', page: 2 });
    expect(error.options?.params).toEqual({ api_key: '[redacted]', page: 2 });
    const counts = leaks(ofetchPlaces(error));
    expect(counts).toEqual(none(counts));
  });

  it('data a custom parseResponse built: a Map is copied without the echoed key, a class instance becomes [redacted]', async () => {
    server = await startEchoServer();
    const api = surefetchOfetch(sureFetch(), { baseURL: server.url, headers: authorization });
    const asMap = (text: string): Map<string, unknown> => new Map(Object.entries(JSON.parse(text) as object));
    const mapError = (await api(`/${path}`, { parseResponse: asMap }).catch((e: unknown) => e)) as FetchError<Map<string, string>>;
    expect(mapError.data).toBeInstanceOf(Map);
    expect(mapError.data?.get('code')).toBe('INVALID_KEY');
    expect(mapError.data?.get('error')).toContain('bad key [redacted]');
    class Problem {
      readonly body: unknown;
      constructor(body: unknown) {
        this.body = body;
      }
    }
    const classError = (await api(`/${path}`, { parseResponse: (text: string) => new Problem(JSON.parse(text)) }).catch((e: unknown) => e)) as FetchError;
    expect(classError.data).toBe('[redacted]');
    for (const error of [mapError, classError]) {
      const counts = leaks(ofetchPlaces(error));
      expect(counts).toEqual(none(counts));
    }
  });

  it('a 20 MiB text error body: data keeps its first 1 Mi characters, redacted, then [truncated]', async () => {
    const body = `bad key ${SECRET} ${'word '.repeat(4 * 1024 * 1024)}`;
    server = await startHostileServer((_seen, response) => {
      response.writeHead(400, { 'content-type': 'text/plain' });
      response.end(body);
    });
    const api = surefetchOfetch(sureFetch(), { baseURL: server.url, headers: authorization });
    const error = (await api('/v1/report').catch((e: unknown) => e)) as FetchError<string>;
    expect(error).toBeInstanceOf(FetchError);
    expect(error.status).toBe(400);
    expect(error.data).toBe(`bad key [redacted]${body.slice(8 + SECRET.length, 1024 * 1024)}[truncated]`);
  });

  it('redacts a secret the server names in its parsed data even when the request never carried it, as the body text is', async () => {
    const issued = 'srv_tok_5f4e3d2c1b0a99887766';
    server = await startHostileServer((_seen, response) => {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'session expired', refresh_token: issued, detail: { password: 'hunter22' }, token_type: 'bearer' }));
    });
    const api = surefetchOfetch(sureFetch(), { baseURL: server.url });
    const error = (await api('/v1/session').catch((e: unknown) => e)) as FetchError<Record<string, unknown>>;
    expect(error).toBeInstanceOf(FetchError);
    expect(error.data).toEqual({ error: 'session expired', refresh_token: '[redacted]', detail: { password: '[redacted]' }, token_type: 'bearer' });
    expect(JSON.stringify(error.data)).not.toContain(issued);
  });
});
