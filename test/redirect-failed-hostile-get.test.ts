/**
 * The GET after a write's 303 answered with absurd refusal headers (huge, negative or garbage
 * Retry-After, far resets, hundreds of partitions) or with a status no Response may have (from
 * a raw socket): the write is sent once and rejects REDIRECT_FAILED at once; the next call is
 * not held beyond its wait bound. Real local servers.
 */
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createFetch, rateLimit, retry } from '../src/index.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});
const order = { method: 'POST', body: '{"sku":"A"}', headers: { 'content-type': 'application/json', authorization: 'Bearer t0ken-s3cret-value' } };
const sureFetchOf = (maxWaitMs = 1500) =>
  createFetch({ middleware: [retry({ baseDelayMs: 1 }), rateLimit({ fallbackWaitMs: 5 })], redirects: { followAsGet: true }, maxWaitMs, attemptTimeoutMs: 3000 });

async function api(readHeaders: Record<string, string>): Promise<HostileServer & { arrivals: Map<string, number>; posts: () => number }> {
  const arrivals = new Map<string, number>();
  const server = await startHostileServer((seen, response) => {
    arrivals.set(seen.path, Date.now());
    if (seen.method === 'POST') return void response.writeHead(303, { location: '/v1/orders/ord_1' }).end();
    if (seen.path === '/v1/orders/ord_1') return void response.writeHead(429, readHeaders).end('{}');
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  closers.push(() => server.close());
  return Object.assign(server, { arrivals, posts: () => server.requests.filter((s) => s.method === 'POST').length });
}

describe('absurd refusal headers on the GET', () => {
  const nowSec = Math.floor(Date.now() / 1000);
  const variants: Record<string, Record<string, string>> = {
    hugeRetryAfter: { 'retry-after': '99999999999999999999999' },
    negativeRetryAfter: { 'retry-after': '-5' },
    farDate: { 'retry-after': 'Fri, 31 Dec 9999 23:59:59 GMT' },
    garbage: { 'retry-after': 'soon\u00ff', ratelimit: 'garbage;;;=,,"', 'ratelimit-policy': ';;;' },
    hugeReset: { 'x-ratelimit-remaining': '0', 'x-ratelimit-limit': '1e400', 'x-ratelimit-reset': '1e308' },
    negRemaining: { 'x-ratelimit-remaining': '-1', 'x-ratelimit-reset': String(nowSec + 1), 'x-ratelimit-resource': 'x'.repeat(5000) },
    structured: { ratelimit: '"default";r=0;t=99999999999', 'ratelimit-policy': '"default";q=0;w=0' },
    manyPartitions: { 'x-ratelimit-resource': Array.from({ length: 500 }, (_, i) => `p${i}`).join(','), 'x-ratelimit-remaining': '0', 'retry-after': '1' },
  };
  for (const [name, headers] of Object.entries(variants)) {
    it(`${name}: the write is sent once and rejects REDIRECT_FAILED within 500 ms; the next call is answered 200 within 3 s`, async () => {
      const server = await api(headers);
      const sureFetch = sureFetchOf();
      let started = Date.now();
      const error = await sureFetch(`${server.url}/v1/orders`, order).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(500);
      expect(error).toMatchObject({ code: 'REDIRECT_FAILED' });
      started = Date.now();
      const next = await sureFetch(`${server.url}/v1/customers`, { headers: { authorization: order.headers.authorization } }).then(
        (r) => `status ${r.status}`,
        (e: unknown) => `${(e as Error).name}: ${(e as Error).message.slice(0, 200)}`,
      );
      expect(next).toBe('status 200');
      expect(Date.now() - started).toBeLessThan(3000);
      expect(server.posts()).toBe(1);
    });
  }
});

async function rawServer(statusLine: string): Promise<{ url: string; posts: () => number }> {
  let posts = 0;
  const sockets = new Set<Socket>();
  const server: NetServer = createNetServer((socket) => {
    sockets.add(socket);
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffered.slice(0, end);
      buffered = '';
      if (head.startsWith('POST')) {
        posts += 1;
        socket.write('HTTP/1.1 303 See Other\r\nLocation: /v1/orders/ord_1\r\nContent-Length: 0\r\n\r\n');
      } else socket.write(`${statusLine}\r\nRetry-After: 1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, posts: () => posts };
}

describe('a GET answered a status no Response may have', () => {
  for (const statusLine of ['HTTP/1.1 600 Weird', 'HTTP/1.1 999 Weird', 'HTTP/1.1 429 Too Many', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 600 Weird']) {
    it(`${JSON.stringify(statusLine)}: REDIRECT_FAILED, one POST`, async () => {
      const server = await rawServer(statusLine);
      const error = await sureFetchOf()(`${server.url}/v1/orders`, { ...order, body: '{"sku":"A"}' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'REDIRECT_FAILED' });
      expect(server.posts()).toBe(1);
    });
  }
});
