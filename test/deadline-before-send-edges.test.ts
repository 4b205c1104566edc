/**
 * Edges of a send stopped unsent (its deadline passed above it, or its caller left as it was
 * announced), found by review: such an outcome says nothing of whether another send landed, nor
 * of the API's health.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { circuitBreaker, createFetch, idempotency, memoryStore, type Middleware, type SurefetchEvent } from '../src/index.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('a send stopped unsent', () => {
  it("by a job's abort as it was announced does not make another create of that job, already at the server, read not-sent: its re-run sends nothing", async () => {
    let atServer!: () => void;
    const aAtServer = new Promise<void>((resolve) => (atServer = resolve));
    server = await startHostileServer((seen, response) => {
      if (seen.path === '/v1/a') atServer();
      // Committed; the answer comes after the caller left.
      setTimeout(() => {
        response.writeHead(201, { 'content-type': 'application/json' });
        response.end('{"id":"a1"}');
      }, 300);
    });
    const store = memoryStore();
    const job = new AbortController();
    const onEvent = (event: SurefetchEvent): void => {
      if (event.type === 'attempt' && event.url.includes('/v1/b')) job.abort(new Error('job cancelled'));
    };
    const sureFetch = createFetch({ middleware: [idempotency({ store })], onEvent });
    const init = (scope: string) => ({ method: 'POST', body: '{"sku":"x"}', headers: { 'content-type': 'application/json' }, signal: job.signal, surefetch: { idempotencyScope: scope } });
    const a = sureFetch(`${server.url}/v1/a`, init('job-1:a')).catch((caught: unknown) => caught);
    await aAtServer;
    await sureFetch(`${server.url}/v1/b`, init('job-1:b')).catch((caught: unknown) => caught);
    await a;
    expect((await store.get('job-1:a'))?.lastSent).toBe('ambiguous');
    const again = createFetch({ middleware: [idempotency({ store })] });
    await expect(again(`${server.url}/v1/a`, { ...init('job-1:a'), signal: undefined })).rejects.toMatchObject({ code: 'AMBIGUOUS_OUTCOME' });
    expect(server.requests.map((seen) => seen.path)).toEqual(['/v1/a']);
  });

  it("as the circuit's probe does not close the circuit: the next call probes the API", async () => {
    server = await startHostileServer((_seen, response) => {
      response.writeHead(500);
      response.end('down');
    });
    let slow = false;
    const slowLayer: Middleware = async (ctx, next) => {
      if (slow) await new Promise((resolve) => setTimeout(resolve, 200));
      return next(ctx);
    };
    const states: string[] = [];
    const onEvent = (event: SurefetchEvent): void => {
      if (event.type === 'circuit') states.push(event.state);
    };
    const sureFetch = createFetch({ middleware: [circuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 100 }), slowLayer], onEvent });
    await expect(sureFetch(`${server.url}/v1/items`)).rejects.toMatchObject({ status: 500 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    slow = true;
    await expect(sureFetch(`${server.url}/v1/items`, { surefetch: { deadlineMs: 50 } })).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    slow = false;
    expect(states).toEqual(['open', 'half-open', 'open']);
    expect(server.requests).toHaveLength(1);
    await expect(sureFetch(`${server.url}/v1/items`)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    expect(server.requests).toHaveLength(2);
  });
});
