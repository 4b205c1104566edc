import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetch, type Middleware } from '../src/index.js';

let server: Server;
let url: string;
const seen: Array<{ method: string; headers: Record<string, string | string[] | undefined>; body: string }> = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      seen.push({ method: request.method ?? '', headers: request.headers, body });
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ n: seen.length }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  url = `http://127.0.0.1:${address.port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('createFetch composition', () => {
  it('runs middleware first-is-outermost, each seeing the context its outer layer derived', async () => {
    const order: string[] = [];
    const tag = (name: string): Middleware =>
      async function tagLayer(ctx, next) {
        order.push(`${name}>`);
        const headers = new Headers(ctx.request.headers);
        headers.append('x-layers', name);
        const response = await next({ ...ctx, request: { ...ctx.request, headers } });
        order.push(`<${name}`);
        return response;
      };
    const sureFetch = createFetch({ middleware: [tag('a'), tag('b'), tag('c')] });
    await sureFetch(`${url}/x`);
    expect(order).toEqual(['a>', 'b>', 'c>', '<c', '<b', '<a']);
    expect(seen.at(-1)?.headers['x-layers']).toBe('a, b, c');
  });

  it('lets a middleware call next many times, replaying the buffered body each time', async () => {
    const before = seen.length;
    const thrice: Middleware = async function sendThrice(ctx, next) {
      await next(ctx);
      await next(ctx);
      return next(ctx);
    };
    const sureFetch = createFetch({ middleware: [thrice] });
    const response = await sureFetch(`${url}/y`, { method: 'POST', body: JSON.stringify({ hello: 'world' }) });
    expect(await response.json()).toEqual({ n: before + 3 });
    expect(seen.slice(before).map((entry) => entry.body)).toEqual(Array(3).fill('{"hello":"world"}'));
  });

  it('buffers the body of a Request input so it can be replayed', async () => {
    const before = seen.length;
    const twice: Middleware = async function sendTwice(ctx, next) {
      await next(ctx);
      return next(ctx);
    };
    const sureFetch = createFetch({ middleware: [twice] });
    await sureFetch(new Request(`${url}/z`, { method: 'PUT', body: 'payload' }));
    expect(seen.slice(before).map((entry) => `${entry.method} ${entry.body}`)).toEqual(['PUT payload', 'PUT payload']);
  });

  it('freezes the context so a middleware cannot change it for its siblings', async () => {
    let frozen = false;
    const probe: Middleware = async function probeContext(ctx, next) {
      frozen = Object.isFrozen(ctx);
      return next(ctx);
    };
    await createFetch({ middleware: [probe] })(`${url}/f`);
    expect(frozen).toBe(true);
  });

  it('returns a non-2xx answer unchanged when throwHttpErrors is false', async () => {
    const teapot: Middleware = async function teapot() {
      return new Response('short and stout', { status: 418 });
    };
    const response = await createFetch({ middleware: [teapot], throwHttpErrors: false })(`${url}/t`);
    expect(response.status).toBe(418);
  });

  it('passes per-call options into the context', async () => {
    let seenScope: string | undefined;
    let seenOperation = '';
    const probe: Middleware = async function probeOptions(ctx, next) {
      seenScope = ctx.idempotencyScope;
      seenOperation = ctx.operation;
      return next(ctx);
    };
    await createFetch({ middleware: [probe] })(`${url}/o`, { surefetch: { idempotencyScope: 'job-7:create', operation: 'create order' } });
    expect(seenScope).toBe('job-7:create');
    expect(seenOperation).toBe('create order');
  });
});
