/**
 * dispatchFetch (src/pipeline/dispatch-fetch.ts) against Node's own fetch, differentially: each
 * test starts a real server, sends the same request with `fetch(url, { redirect: 'manual' })`
 * and with `dispatchFetch`, and asserts that both callers saw the same thing (status, status
 * text, headers, Set-Cookie, body bytes, url, redirected, type, ok, a null body) and that the
 * server read the same request line and headers from both. Faults, raw answers and a cancelled
 * body are in dispatch-fetch-faults.test.ts.
 */
import { deflateRawSync, deflateSync, brotliCompressSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { probeAttemptDispatchers } from '../src/pipeline/attempt-dispatcher.js';
import { differential, expectSameWire, startHttpServer, wire } from './support/differential-server.js';

beforeAll(async () => {
  // The probe also notes the headers fetch adds, which dispatchFetch needs.
  expect(await probeAttemptDispatchers()).toBe(true);
});

const json = JSON.stringify({ orders: [{ id: 1, note: 'café ☕' }] });

describe('dispatchFetch answers as Node\'s fetch does', () => {
  it('1. a plain 200 JSON answer: same head, headers, body, url, type; same request on the wire', async () => {
    const server = await startHttpServer((response) => response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', etag: '"v1"' }).end(json));
    const { fetched, dispatched } = await differential(`${server.url}/v1/orders`);
    expect(fetched).toMatchObject({ status: 200, ok: true, type: 'basic', url: `${server.url}/v1/orders`, body: Buffer.from(json).toString('latin1') });
    expect(dispatched).toEqual(fetched);
    expectSameWire(server, 1);
  });

  it('2. a GET with Accept, X-Api-Key and User-Agent of its own: the server reads the same header fields (names in any case and order)', async () => {
    const server = await startHttpServer((response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('hello'));
    const headers = { 'X-Api-Key': 'k-123', Accept: 'application/json', 'User-Agent': 'my-agent/1.0' };
    const { fetched, dispatched } = await differential(`${server.url}/v1/me`, { headers });
    expect(dispatched).toEqual(fetched);
    expect(server.requests[0]!.headers).toEqual(expect.arrayContaining([['user-agent', 'my-agent/1.0'], ['x-api-key', 'k-123'], ['accept', 'application/json']]));
    // An accepted difference: fetch sends the caller's fields in the order given and as spelled
    // (X-Api-Key); dispatchFetch in the order and case a Headers object lists them. Neither the
    // order of different fields nor their case means anything (RFC 9110, 5.1 and 5.3).
    const [fromFetch, fromDispatch] = wire(server).map((request) => ({ ...request, headers: [...request.headers].sort() }));
    expect(fromDispatch).toEqual(fromFetch);
  });

  it('3. HEAD: same head and headers (content-length of the body not sent), a null body', async () => {
    const server = await startHttpServer((response) => response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5' }).end());
    const { fetched, dispatched } = await differential(`${server.url}/v1/orders`, { method: 'HEAD' });
    expect(fetched).toMatchObject({ status: 200, bodyNull: true, body: '' });
    expect(dispatched).toEqual(fetched);
    expectSameWire(server, 1);
  });

  it('4. 204 and 304: same head and headers, a null body', async () => {
    const server = await startHttpServer((response, request) => {
      if (request.url === '/204') response.writeHead(204, { 'x-deleted': '1' }).end();
      else response.writeHead(304, { etag: '"v1"', 'cache-control': 'max-age=60' }).end();
    });
    for (const [path, status] of [['/204', 204], ['/304', 304]] as const) {
      const { fetched, dispatched } = await differential(`${server.url}${path}`);
      expect(fetched).toMatchObject({ status, ok: status === 204, bodyNull: true, body: '' });
      expect(dispatched).toEqual(fetched);
    }
    expectSameWire(server, 2);
  });

  it('5. a 301 with a Location: the 3xx itself comes back (manual), same status, location, body, url, redirected', async () => {
    const server = await startHttpServer((response) => response.writeHead(301, 'Moved Permanently', { location: '/v2/orders', 'content-type': 'text/plain' }).end('moved'));
    const { fetched, dispatched } = await differential(`${server.url}/v1/orders`);
    expect(fetched).toMatchObject({ status: 301, statusText: 'Moved Permanently', redirected: false, body: 'moved' });
    expect(dispatched).toEqual(fetched);
    expectSameWire(server, 1);
  });

  it('6. a gzip-encoded body: decoded alike, content-encoding and content-length kept alike', async () => {
    const server = await startHttpServer((response) => response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync(json)));
    const { fetched, dispatched } = await differential(`${server.url}/gz`);
    expect(fetched).toMatchObject({ body: Buffer.from(json).toString('latin1') });
    expect(dispatched).toEqual(fetched);
    expectSameWire(server, 1);
  });

  it('7. deflate bodies, zlib-wrapped and raw: decoded alike (or failed alike)', async () => {
    const server = await startHttpServer((response, request) => {
      const body = request.url === '/zlib' ? deflateSync(json) : deflateRawSync(json);
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'deflate' }).end(body);
    });
    const zlib = await differential(`${server.url}/zlib`);
    expect(zlib.fetched).toMatchObject({ body: Buffer.from(json).toString('latin1') });
    expect(zlib.dispatched).toEqual(zlib.fetched);
    const raw = await differential(`${server.url}/raw`);
    expect(raw.fetched).toMatchObject({ body: Buffer.from(json).toString('latin1') });
    expect(raw.dispatched).toEqual(raw.fetched);
    expectSameWire(server, 2);
  });

  it('8. content-encodings not asked for: br (sent with a valid brotli body) and foo (left as it came)', async () => {
    const server = await startHttpServer((response, request) => {
      const br = request.url === '/br';
      response.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': br ? 'br' : 'foo' }).end(br ? brotliCompressSync('hello br') : 'hello foo');
    });
    const foo = await differential(`${server.url}/foo`);
    expect(foo.fetched).toMatchObject({ body: 'hello foo' });
    expect(foo.dispatched).toEqual(foo.fetched);
    const br = await differential(`${server.url}/br`);
    expect(br.fetched).toMatchObject({ body: 'hello br' });
    expect(br.dispatched).toEqual(br.fetched);
    expectSameWire(server, 2);
  });

  it('9. two Set-Cookie headers and a repeated other header: same entries, same getSetCookie()', async () => {
    const server = await startHttpServer((response) => {
      response.writeHead(200, [['Set-Cookie', 'a=1; Path=/'], ['X-Multi', 'one'], ['Set-Cookie', 'b=2; HttpOnly'], ['X-Multi', 'two'], ['Content-Length', '2']]);
      response.end('ok');
    });
    const { fetched, dispatched } = await differential(`${server.url}/cookies`);
    expect(fetched).toMatchObject({ setCookie: ['a=1; Path=/', 'b=2; HttpOnly'] });
    expect(fetched.headers).toContainEqual(['x-multi', 'one, two']);
    expect(dispatched).toEqual(fetched);
    expectSameWire(server, 1);
  });

  it('10. a 5 MB body sent in chunks: the same bytes read in full', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0);
    for (let index = 0; index < chunk.length; index += 1) chunk[index] = (index * 7) % 251;
    const server = await startHttpServer((response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      let left = 80; // 80 × 64 KiB = 5 MiB, chunked
      const write = (): void => {
        while (left > 0) {
          left -= 1;
          if (!response.write(chunk)) return void response.once('drain', write);
        }
        response.end();
      };
      write();
    });
    const { fetched, dispatched } = await differential(`${server.url}/big`);
    expect(fetched.body).toMatch(/^5242880 bytes, sha256 /);
    expect(dispatched).toEqual(fetched);
    expectSameWire(server, 1);
  });

  it('15. a query string and a percent-encoded path: the same request line, the same url', async () => {
    const server = await startHttpServer((response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('found'));
    const path = '/v1/caf%C3%A9/a%20b/%2F;x?q=a+b&r=%2F%3F&s=caf%C3%A9&t';
    const { fetched, dispatched } = await differential(`${server.url}${path}#frag`);
    expect(fetched).toMatchObject({ url: `${server.url}${path}` });
    expect(server.requests[0]!.line).toBe(`GET ${path} HTTP/1.1`);
    expect(dispatched).toEqual(fetched);
    expectSameWire(server, 1);
  });
});
