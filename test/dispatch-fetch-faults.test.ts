/**
 * dispatchFetch against Node's own fetch, differentially (see dispatch-fetch.test.ts): answers
 * written byte by byte on a raw socket (103 Early Hints, Latin-1 header values), failures
 * (a refused connection, a socket destroyed mid-body), a body cancelled after its first chunk,
 * and request headers fetch treats specially.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { createServer, type Server } from 'node:http';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { AttemptDispatcher, probeAttemptDispatchers } from '../src/pipeline/attempt-dispatcher.js';
import { dispatchFetch, dispatchFetchFits } from '../src/pipeline/dispatch-fetch.js';
import { buildRequestSpec, plainRequestSpec } from '../src/pipeline/request-spec.js';
import { closedPort, differential, digest, expectSameWire, startHttpServer, startRawServer } from './support/differential-server.js';

beforeAll(async () => {
  expect(await probeAttemptDispatchers()).toBe(true);
});

describe('dispatchFetch fails and reads as Node\'s fetch does', () => {
  it('11. 103 Early Hints before a 200 (raw socket): the 200 comes back alike, hints dropped alike', async () => {
    const server = await startRawServer((socket) => {
      socket.write('HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n');
      setTimeout(() => socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nLink: </style.css>; rel=preload\r\nContent-Length: 5\r\n\r\nhints'), 20);
    });
    const { fetched, dispatched } = await differential(`${server.url}/hinted`);
    expect(fetched).toMatchObject({ status: 200, body: 'hints' });
    expect(dispatched).toEqual(fetched);
    expectSameWire(server, 1);
  });

  it('12. a refused connection: both reject with the same error class, message and cause', async () => {
    const port = await closedPort();
    const { fetched, dispatched } = await differential(`http://127.0.0.1:${port}/v1/orders`);
    expect(fetched).toMatchObject({ rejected: { class: 'TypeError', message: 'fetch failed', cause: { code: 'ECONNREFUSED' } } });
    expect(dispatched).toEqual(fetched);
  });

  it('13. the server destroys the socket mid-body: same head, the body read fails with the same error and cause', async () => {
    const server = await startHttpServer((response) => {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
      response.write('x'.repeat(100));
      setTimeout(() => response.socket?.destroy(), 30);
    });
    const { fetched, dispatched } = await differential(`${server.url}/cut`);
    expect(fetched).toMatchObject({ status: 200, bodyError: { class: 'TypeError', message: 'terminated', cause: { code: 'UND_ERR_SOCKET' } } });
    expect(dispatched).toEqual(fetched);
    expectSameWire(server, 1);
  });

  it('14. header values with obs-text bytes (raw socket): decoded alike, byte for byte as Latin-1', async () => {
    const server = await startRawServer((socket) => {
      socket.write(Buffer.from('HTTP/1.1 200 OK\r\nX-Name: caf\xe9\r\nX-C1: \x80\x85\x9f\xa0\xff\r\nContent-Length: 2\r\n\r\nok', 'latin1'));
    });
    const { fetched, dispatched } = await differential(`${server.url}/latin1`);
    expect(fetched.headers).toEqual(expect.arrayContaining([['x-name', 'caf\xe9'], ['x-c1', '\x80\x85\x9f\xa0\xff']]));
    expect(dispatched).toEqual(fetched);
    expectSameWire(server, 1);
  });

  it('16. the body cancelled after its first chunk: both resolve, and the server sees the same end of the exchange', async () => {
    const server = await startHttpServer((response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('first');
      let left = 40; // 2 s more of body, unless the client hangs up
      const timer = setInterval(() => (--left === 0 ? (clearInterval(timer), response.end('last')) : response.write('more')), 50);
      response.on('close', () => clearInterval(timer));
    });
    const cancelAfterFirstChunk = async (response: Response): Promise<unknown> => {
      const reader = response.body!.getReader();
      const first = await reader.read();
      reader.releaseLock();
      await response.body!.cancel();
      return { first: digest(first.value!), locked: response.body!.locked, used: response.bodyUsed };
    };
    const { fetched, dispatched } = await differential(`${server.url}/stream`, {}, cancelAfterFirstChunk);
    expect(fetched).toMatchObject({ status: 200, body: { first: 'first' } });
    expect(dispatched).toEqual(fetched);
    const [fetchEnd, dispatchEnd] = await Promise.all(server.requests.map((request) => request.end));
    expect(fetchEnd).toBe('hung up');
    expect(dispatchEnd).toBe(fetchEnd);
    expectSameWire(server, 1);
  });
});

describe('beyond the list: what fetch does that a dispatched request may not', () => {
  // fetch adds pragma/cache-control: no-cache to a conditional request, sends accept-encoding:
  // identity with a Range, drops a Host of the caller's and forces sec-fetch-mode: cors. Such
  // requests are left to fetch (dispatchFetchFits says no); a plain GET is not.
  it('a request with a field fetch rewrites (If-None-Match, If-Modified-Since, Range, Host, Sec-Fetch-Mode, Accept-Encoding) does not fit dispatchFetch; a plain one does', async () => {
    const url = 'http://127.0.0.1:8080/special';
    const cases: Array<Record<string, string>> = [{ 'if-none-match': '"v1"' }, { 'If-Modified-Since': 'Mon, 01 Jan 2024 00:00:00 GMT', 'cache-control': 'max-age=0' }, { 'if-match': '"v1"' }, { 'if-unmodified-since': 'Mon, 01 Jan 2024 00:00:00 GMT' }, { 'if-range': '"v1"' }, { range: 'bytes=0-1' }, { host: 'example.com' }, { 'sec-fetch-mode': 'navigate' }, { 'accept-encoding': 'br' }];
    expect(cases.map((headers) => dispatchFetchFits(plainRequestSpec(url, { headers })!))).toEqual(cases.map(() => false));
    expect(dispatchFetchFits(plainRequestSpec(url, { headers: { authorization: 'Bearer x', accept: 'application/json' } })!)).toBe(true);
    expect(dispatchFetchFits(await buildRequestSpec(url, { redirect: 'manual' }))).toBe(false);
    expect(dispatchFetchFits(plainRequestSpec(url, { method: 'HEAD' })!)).toBe(true);
  });

  // What fetch does here: an empty gzip/deflate body reads as empty, a gzip body without its trailer as
  // what it holds, a corrupt one fails with TypeError('terminated', {cause}), and 'identity' listed
  // leaves the body undecoded.
  it('content-coding edge cases (empty gzip and deflate, truncated and corrupt gzip, identity listed): read alike', async () => {
    const gzipped = gzipSync('hello world hello world');
    const answers: Record<string, readonly [string, Buffer]> = {
      '/empty-gzip': ['gzip', Buffer.alloc(0)],
      '/empty-deflate': ['deflate', Buffer.alloc(0)],
      '/truncated-gzip': ['gzip', gzipped.subarray(0, gzipped.length - 6)],
      '/corrupt-gzip': ['gzip', Buffer.from('not gzip at all')],
      '/gzip-identity': ['gzip, identity', gzipped],
    };
    const server = await startHttpServer((response, request) => {
      const [coding, body] = answers[request.url!]!;
      response.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': coding }).end(body);
    });
    const outcomes = [];
    for (const path of Object.keys(answers)) outcomes.push({ path, ...(await differential(`${server.url}${path}`)) });
    expect(outcomes.map(({ path, dispatched }) => ({ path, dispatched }))).toEqual(outcomes.map(({ path, fetched }) => ({ path, dispatched: fetched })));
  });

  // What fetch does here: a non-ASCII reason phrase comes as U+FFFD-decoded text, a status of 600 resolves.
  it('status lines (raw socket): a non-ASCII reason phrase, a status of 600: the same answer', async () => {
    const lines: Record<string, string> = { '/phrase': 'HTTP/1.1 200 \xd6k', '/600': 'HTTP/1.1 600 Big' };
    const server = await startRawServer((socket, request) => {
      socket.write(Buffer.from(`${lines[request.line.split(' ')[1]!]}\r\nContent-Length: 2\r\n\r\nok`, 'latin1'));
    });
    const outcomes = [];
    for (const path of Object.keys(lines)) outcomes.push({ path, ...(await differential(`${server.url}${path}`)) });
    expect(outcomes.map(({ path, dispatched }) => ({ path, dispatched }))).toEqual(outcomes.map(({ path, fetched }) => ({ path, dispatched: fetched })));
  });

  // An accepted difference, not asserted: the headers of fetch's Response are immutable (set()
  // throws), a Response built from parts cannot have them so (see DispatchedResponse).
  it('the Response object: clone() keeps url, type and redirected, and it has no own enumerable property', async () => {
    const server = await startHttpServer((response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
    const describe = async (response: Response): Promise<unknown> => {
      const copy = response.clone();
      const seen = { cloneUrl: copy.url, cloneType: copy.type, cloneRedirected: copy.redirected, keys: Object.keys(response), json: JSON.stringify(response) };
      await Promise.all([response.arrayBuffer(), copy.arrayBuffer()]);
      return seen;
    };
    const url = `${server.url}/object`;
    const fetched = await describe(await fetch(url, { redirect: 'manual' }));
    const dispatched = await describe(await dispatchFetch(plainRequestSpec(url, undefined)!, new AttemptDispatcher(undefined)));
    expect(fetched).toEqual({ cloneUrl: url, cloneType: 'basic', cloneRedirected: false, keys: [], json: '{}' });
    expect(dispatched).toEqual(fetched);
  });

  it('a 32 MiB body nobody reads: once its Response (or a clone and its original) is collected, its exchange ends, as with fetch; a clone read meanwhile is whole', async () => {
    // More than the socket buffers hold: the server finishes only if the client reads to the end.
    const mebibyte = Buffer.alloc(1024 * 1024);
    const server = await startHttpServer((response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(32 * mebibyte.length) });
      let sent = 0;
      const more = (): void => {
        while (sent < 32) {
          sent += 1;
          if (!response.write(mebibyte)) return void response.once('drain', more);
        }
        response.end();
      };
      more();
    });
    const url = `${server.url}/large`;
    // In functions of their own, so that no frame of this test holds the Responses.
    const ignored = async (send: () => Promise<Response>): Promise<void> => void (await send());
    const cloned = async (): Promise<Response> => (await dispatchFetch(plainRequestSpec(url, undefined)!, new AttemptDispatcher(undefined))).clone();
    await ignored(() => fetch(url));
    await ignored(() => dispatchFetch(plainRequestSpec(url, undefined)!, new AttemptDispatcher(undefined)));
    await ignored(cloned);
    const copy = await cloned();
    const ends = server.requests.slice(0, 3).map((request) => request.end);
    const settled: string[] = [];
    for (const end of ends) void end.then((how) => settled.push(how));
    for (let round = 0; round < 100 && settled.length < 3; round += 1) {
      collectGarbage();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await Promise.all(ends)).toEqual(['hung up', 'hung up', 'hung up']);
    expect((await copy.arrayBuffer()).byteLength).toBe(32 * 1024 * 1024);
  });

  it('over https, the request leaves with the headers fetch gives it there (accept-encoding offers br)', async () => {
    const seen: unknown[] = [];
    const capture = { dispatch: (options: unknown, handler: { onError(error: unknown): void }): boolean => (seen.push((options as { headers: unknown }).headers), handler.onError(new Error('captured')), true) };
    const url = 'https://127.0.0.1:8443/v1/x';
    await fetch(url, { dispatcher: capture } as RequestInit).catch(() => undefined);
    await dispatchFetch(plainRequestSpec(url, undefined)!, new AttemptDispatcher(capture)).catch(() => undefined);
    expect(seen).toHaveLength(2);
    expect(Object.entries(seen[0] as object)).toContainEqual(['accept-encoding', 'br, gzip, deflate']);
    expect(seen[1]).toEqual(seen[0]);
  });
});

describe('what fetch refuses stays refused', () => {
  it('a GET to a port on fetch\'s blocked list, or a redirect to one, or a data: URL, is left to fetch: refused unsent, or answered as fetch answers it', async () => {
    // Servers on the blocked ports themselves, to see that nothing reaches them.
    const hits: string[] = [];
    const listeners = await Promise.all([6000, 6667].map((port) => new Promise<Server>((resolve, reject) => {
      const server = createServer((request, response) => void (hits.push(`${port} ${request.url}`), response.end('reached')));
      server.once('error', reject).listen(port, '127.0.0.1', () => resolve(server));
    })));
    onTestFinished(() => Promise.all(listeners.map((server) => new Promise((resolve) => server.close(resolve)))).then(() => undefined));
    const { createFetch } = await import('../src/pipeline/create-fetch.js');
    const sureFetch = createFetch();
    expect(dispatchFetchFits(plainRequestSpec('http://127.0.0.1:6000/x', undefined)!)).toBe(false);
    expect(dispatchFetchFits(plainRequestSpec('data:text/plain,hello', undefined)!)).toBe(false);
    await expect(sureFetch('http://127.0.0.1:6000/x')).rejects.toMatchObject({ code: 'NETWORK_ERROR', sent: 'not-sent' });
    const redirecting = await startHttpServer((response) => response.writeHead(302, { location: 'http://127.0.0.1:6667/irc' }).end());
    await expect(sureFetch(`${redirecting.url}/go`)).rejects.toMatchObject({ sent: 'not-sent' });
    expect(await (await sureFetch('data:text/plain,hello')).text()).toBe('hello');
    expect(hits).toEqual([]);
  });
});

// The collector, on demand (as the benchmarks get it).
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
