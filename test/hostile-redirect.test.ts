import { afterEach, describe, expect, it } from 'vitest';
import { HttpError, RedirectError, createFetch, createManualClock, retry } from '../src/index.js';
import { startRedirectServer, type Echo } from './hostile/redirects.js';
import type { HostileServer } from './hostile/server.js';

const servers: HostileServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
async function redirecting(...args: Parameters<typeof startRedirectServer>): Promise<HostileServer> {
  const server = await startRedirectServer(...args);
  servers.push(server);
  return server;
}
const sureFetch = createFetch({ middleware: [retry()], clock: createManualClock(), random: () => 0.5 });
const body = JSON.stringify({ campaignId: 'spring-26', email: 'ada@example.com' });
const headers = { 'content-type': 'application/json' };

describe('307 and 308: the same request at the new place', () => {
  it('re-sends a create with its body after a trailing-slash 307, once', async () => {
    const server = await redirecting({ '/v1/orders/create': { status: 307, location: '/v1/orders/create/' } });
    const response = await sureFetch(`${server.url}/v1/orders/create`, { method: 'POST', headers, body });
    const echo = (await response.json()) as Echo;
    expect(echo).toMatchObject({ method: 'POST', path: '/v1/orders/create/', body });
    expect(echo.headers['content-type']).toBe('application/json');
    expect(server.requests.map((seen) => seen.path)).toEqual(['/v1/orders/create', '/v1/orders/create/']);
  });

  it('re-sends a PUT with its body after a 308 to an absolute URL', async () => {
    const server = await redirecting();
    const mover = await redirecting({ '/v1/items/7': { status: 308, location: `${server.url}/v2/items/7` } });
    const response = await sureFetch(`${mover.url}/v1/items/7`, { method: 'PUT', headers, body });
    expect(await response.json()).toMatchObject({ method: 'PUT', path: '/v2/items/7', body });
    expect(server.requests).toHaveLength(1);
  });

  it('refuses a 307 for a one-shot stream body, which cannot be sent again, without retrying', async () => {
    const server = await redirecting({ '/upload': { status: 307, location: '/upload/' } });
    const stream = new Blob([body]).stream();
    const error = await sureFetch(`${server.url}/upload`, { method: 'POST', body: stream }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedirectError);
    expect(error).toMatchObject({ code: 'REDIRECT_REFUSED', status: 307, sent: 'delivered' });
    expect(server.requests).toHaveLength(1);
  });
});

describe('a redirect loop', () => {
  it('ends a create in TOO_MANY_REDIRECTS after 10 hops and is not retried', async () => {
    const server = await redirecting({ '/loop': { status: 307, location: '/loop' } });
    const error = await sureFetch(`${server.url}/loop`, { method: 'POST', headers, body }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedirectError);
    expect(error).toMatchObject({ code: 'TOO_MANY_REDIRECTS', status: 307, verdict: 'terminal' });
    expect(server.requests).toHaveLength(11);
  });

  it('ends a GET in TOO_MANY_REDIRECTS after maxRedirects hops, not retried', async () => {
    const server = await redirecting({ '/a': { status: 302, location: '/b' }, '/b': { status: 301, location: '/a' } });
    const limited = createFetch({ middleware: [retry()], clock: createManualClock(), redirects: { max: 3 } });
    const error = await limited(`${server.url}/a`).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TOO_MANY_REDIRECTS' });
    expect(server.requests.map((seen) => seen.path)).toEqual(['/a', '/b', '/a', '/b']);
  });
});

describe('301, 302 and 303 to a request that is not a GET', () => {
  it.each([301, 302, 303])('refuses a create answered %i instead of returning a GET as its success', async (status) => {
    const server = await redirecting({ '/v1/orders/create': { status, location: '/v1/orders/123?api_key=s3cr3t-value' } });
    const error = await sureFetch(`${server.url}/v1/orders/create`, { method: 'POST', headers, body }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedirectError);
    const redirect = error as RedirectError;
    expect(redirect).toMatchObject({ code: 'REDIRECT_REFUSED', status, verdict: 'terminal', sent: 'ambiguous', method: 'POST' });
    expect(redirect.location).toBe(`${server.url}/v1/orders/123?api_key=[redacted]`);
    expect(redirect.message).toContain('/v1/orders/123');
    expect(redirect.message).not.toContain('s3cr3t-value');
    expect(server.requests).toHaveLength(1);
  });

  it('follows it as a body-less GET when the caller opted in', async () => {
    const server = await redirecting({ '/v1/orders/create': { status: 303, location: '/v1/orders/123' } });
    const response = await sureFetch(`${server.url}/v1/orders/create`, {
      method: 'POST',
      headers,
      body,
      surefetch: { redirects: { followAsGet: true } },
    });
    const echo = (await response.json()) as Echo;
    expect(echo).toMatchObject({ method: 'GET', path: '/v1/orders/123', body: '' });
    expect(echo.headers['content-type']).toBeUndefined();
  });

  it('follows a GET answered 302 as before', async () => {
    const server = await redirecting({ '/old': { status: 302, location: '/new' } });
    const response = await sureFetch(`${server.url}/old`);
    expect(await response.json()).toMatchObject({ method: 'GET', path: '/new' });
  });

  it("returns the 3xx itself when the caller asked for redirect: 'manual'", async () => {
    const server = await redirecting({ '/v1/orders/create': { status: 302, location: '/elsewhere' } });
    const response = await sureFetch(`${server.url}/v1/orders/create`, { method: 'POST', body, redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/elsewhere');
    expect(server.requests).toHaveLength(1);
  });

  it("refuses any redirect, terminally, when the caller asked for redirect: 'error'", async () => {
    const server = await redirecting({ '/old': { status: 301, location: '/new' } });
    const error = await sureFetch(`${server.url}/old`, { redirect: 'error' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'REDIRECT_REFUSED', status: 301 });
    expect(server.requests).toHaveLength(1);
  });
});

describe('credentials on a redirect', () => {
  const secretHeaders = {
    authorization: 'Bearer sk_live_0123456789',
    'x-api-key': 'k-0123456789',
    cookie: 'session=abc0123456789',
    'x-shop-token': 'shop-0123456789',
  };
  const plainHeaders = { 'content-type': 'application/json', 'idempotency-key': 'req-1', 'x-request-source': 'test' };

  it.each([
    ['a GET answered 302', 'GET', 302],
    ['a create answered 307', 'POST', 307],
  ])('strips every secret header when %s sends it to another origin', async (_name, method, status) => {
    const other = await redirecting();
    const server = await redirecting({ '/start': { status, location: `${other.url}/landing` } });
    const response = await sureFetch(`${server.url}/start`, {
      method,
      headers: { ...secretHeaders, ...plainHeaders },
      ...(method === 'GET' ? {} : { body }),
    });
    const echo = (await response.json()) as Echo;
    for (const name of Object.keys(secretHeaders)) expect(echo.headers[name]).toBeUndefined();
    for (const [name, value] of Object.entries(plainHeaders)) expect(echo.headers[name]).toBe(value);
    expect(server.requests[0]?.headers['x-api-key']).toBe('k-0123456789');
  });

  it('keeps them on a redirect within the same origin', async () => {
    const server = await redirecting({ '/start': { status: 307, location: '/landing' } });
    const response = await sureFetch(`${server.url}/start`, { headers: secretHeaders });
    const echo = (await response.json()) as Echo;
    for (const [name, value] of Object.entries(secretHeaders)) expect(echo.headers[name]).toBe(value);
  });
});

describe('errors after a redirect', () => {
  it('reports a 404 at the target as an HttpError of the call', async () => {
    const server = await redirecting({ '/start': { status: 307, location: '/missing' }, '/missing': { status: 404 } });
    const error = await sureFetch(`${server.url}/start`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 404, serverMessage: 'status 404', attempts: 1 });
  });
});
