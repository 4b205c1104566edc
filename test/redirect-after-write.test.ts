/**
 * A write answered 303 ("done, see there") and followed as a GET (`followAsGet`) was applied:
 * whatever the GET is answered, the write must not be sent again as if it had not been. Before,
 * a 429 or a 503 with Retry-After on the GET was taken for a refusal of the POST, and rateLimit
 * and retry re-sent the POST: one order per re-send. Real local servers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HttpError, RedirectError, createFetch, forClient, rateLimit, retry } from '../src/index.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Creates an order on POST (303 to it); its GET is answered `status` with `headers`. */
async function createThenRead(status: number, headers: Record<string, string>): Promise<HostileServer> {
  return startHostileServer((seen, response) => {
    if (seen.method === 'POST') return void response.writeHead(303, { location: '/v1/orders/ord_1' }).end();
    response.writeHead(status, { 'content-type': 'application/json', ...headers }).end('{"message":"read it later"}');
  });
}

const posts = (s: HostileServer): number => s.requests.filter((seen) => seen.method === 'POST').length;
const order = { method: 'POST', body: '{"sku":"A"}', headers: { 'content-type': 'application/json' } };

describe('a write answered 303 and followed as a GET', () => {
  for (const [status, headers] of [[429, { 'retry-after': '0' }], [503, { 'retry-after': '0' }], [408, {}], [500, {}]] as const) {
    it(`whose GET is answered ${status} is sent once, and rejects with RedirectError REDIRECT_FAILED, sent ambiguous, the ${status} as cause`, async () => {
      server = await createThenRead(status, headers);
      const sureFetch = createFetch({ middleware: [retry({ baseDelayMs: 1 }), rateLimit({ fallbackWaitMs: 5 })], redirects: { followAsGet: true } });
      const error = await sureFetch(`${server.url}/v1/orders`, order).catch((e: unknown) => e);
      expect(posts(server)).toBe(1);
      expect(error).toBeInstanceOf(RedirectError);
      expect(error).toMatchObject({ code: 'REDIRECT_FAILED', sent: 'ambiguous', status: 303, verdict: 'terminal' });
      expect((error as RedirectError).cause).toBeInstanceOf(HttpError);
      expect((error as RedirectError).cause).toMatchObject({ status });
    });
  }

  it('in client mode too: no re-send, the same RedirectError', async () => {
    server = await createThenRead(429, { 'retry-after': '0' });
    const sureFetch = forClient(createFetch({ middleware: [retry({ baseDelayMs: 1 }), rateLimit({ fallbackWaitMs: 5 })], redirects: { followAsGet: true } }));
    await expect(sureFetch(`${server.url}/v1/orders`, order)).rejects.toMatchObject({ code: 'REDIRECT_FAILED' });
    expect(posts(server)).toBe(1);
  });

  it('whose GET succeeds returns that answer, and a GET answered 429 itself is still re-sent', async () => {
    server = await createThenRead(200, {});
    const sureFetch = createFetch({ middleware: [retry({ baseDelayMs: 1 }), rateLimit({ fallbackWaitMs: 5 })], redirects: { followAsGet: true } });
    const response = await sureFetch(`${server.url}/v1/orders`, order);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: 'read it later' });
    await server.close();
    let reads = 0;
    server = await startHostileServer((_seen, response) => {
      reads += 1;
      response.writeHead(reads === 1 ? 429 : 200, { 'retry-after': '0' }).end('{}');
    });
    expect((await sureFetch(`${server.url}/v1/orders/ord_1`)).status).toBe(200);
    expect(reads).toBe(2);
  });
});
