/**
 * `surefetchKy` hands the caller ky's own `HTTPError`, which ky builds from the request and the
 * answer: the URL with its `api_key`, the `Authorization` header, the JSON body with its
 * password, and a server's body and headers that echo them. None of those may reach the caller;
 * the rest of the error stays useful.
 */
import { HTTPError } from 'ky';
import { afterEach, describe, expect, it } from 'vitest';
import { factsOf } from '../src/index.js';
import { errorBodyTimeoutMs } from '../src/clients/redacted-response.js';
import { surefetchKy } from '../src/ky.js';
import type { HostileServer } from './hostile/server.js';
import { startStalledBodyServer } from './hostile/stalled-body.js';
import { within } from './hostile/within.js';
import {
  OTHER_KEY,
  SECRET,
  authorization,
  kyPlaces,
  leaks,
  none,
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

describe('surefetchKy: what only the request surefetch sent tells', () => {
  it('a Request input whose JSON body holds a password: the password the server echoes bare is gone from the response body and headers', async () => {
    server = await startBareEchoServer();
    const api = surefetchKy(sureFetch());
    const request = new Request(`${server.url}/v1/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(order) });
    const error = (await api(request).catch((e: unknown) => e)) as HTTPError;
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual(order);
    expect(error).toBeInstanceOf(HTTPError);
    const body = (await error.response.clone().json()) as { detail: string };
    expect(body.detail).toBe('rejected [redacted]');
    expect(error.response.headers.get('x-echo')).toBe('rejected [redacted]');
    const counts = leaks(await kyPlaces(error));
    expect(counts).toEqual(none(counts));
  });
});
