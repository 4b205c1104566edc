/**
 * A call whose deadline passes in the layers above the send (a slow store, a layer of the
 * caller's own) sends nothing: it rejects with DeadlineExceededError, not-sent. It used to send
 * an attempt with a 0 ms limit, which failed as an ambiguous AttemptTimeoutError: a create that
 * never left was recorded as "may have been applied", and every re-run of its scope refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { classifyError, createFetch, DeadlineExceededError, idempotency, memoryStore, retry, type Middleware } from '../src/index.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const sleepFor = (ms: number): Middleware => async (ctx, next) => {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return next(ctx);
};

async function created(): Promise<HostileServer> {
  return startHostileServer((_seen, response) => {
    response.writeHead(201, { 'content-type': 'application/json' });
    response.end('{"id":"o1"}');
  });
}

describe('a deadline that passes before the send', () => {
  it('rejects a GET with DeadlineExceededError, not-sent, the server seeing nothing', async () => {
    server = await created();
    const sureFetch = createFetch({ middleware: [sleepFor(150), retry()] });
    const error = await sureFetch(`${server.url}/v1/orders`, { surefetch: { deadlineMs: 50 } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(classifyError(error, new AbortController().signal).sent).toBe('not-sent');
    expect(server.requests).toHaveLength(0);
  });

  it('rejects a scoped create unsent, and a re-run of its scope sends it once', async () => {
    server = await created();
    const store = memoryStore();
    const init = { method: 'POST', body: '{"sku":"a"}', headers: { 'content-type': 'application/json' } };
    const slow = createFetch({ middleware: [idempotency({ store }), sleepFor(150), retry()] });
    const error = await slow(`${server.url}/v1/orders`, { ...init, surefetch: { deadlineMs: 50, idempotencyScope: 'order-1' } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect((error as DeadlineExceededError).attempts).toBe(0);
    expect(server.requests).toHaveLength(0);

    const again = createFetch({ middleware: [idempotency({ store }), retry()] });
    const response = await again(`${server.url}/v1/orders`, { ...init, surefetch: { idempotencyScope: 'order-1' } });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ id: 'o1' });
    expect(server.requests.filter((seen) => seen.method === 'POST')).toHaveLength(1);
  });

  it('rejects a create without retry unsent, not as an ambiguous timeout', async () => {
    server = await created();
    const sureFetch = createFetch({ middleware: [sleepFor(150)] });
    const error = await sureFetch(`${server.url}/v1/orders`, { method: 'POST', body: '{}', surefetch: { deadlineMs: 50 } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(server.requests).toHaveLength(0);
  });

  it('after an earlier attempt that may have landed (a 500) ends in an error that does not read not-sent', async () => {
    server = await startHostileServer((_seen, response) => {
      response.writeHead(500);
      response.end('boom');
    });
    const slowSecond: Middleware = async (ctx, next) => {
      if (ctx.attempt === 2) await new Promise((resolve) => setTimeout(resolve, 300));
      return next(ctx);
    };
    const sureFetch = createFetch({ middleware: [idempotency({ store: memoryStore(), keyHeader: 'Idempotency-Key' }), retry({ baseDelayMs: 1, maxDelayMs: 1, budget: false }), slowSecond] });
    const error = await sureFetch(`${server.url}/v1/orders`, { method: 'POST', body: '{}', surefetch: { deadlineMs: 200 } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(classifyError(error, new AbortController().signal).sent).toBe('ambiguous');
    expect(server.requests).toHaveLength(1);
  });
});
