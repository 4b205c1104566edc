/**
 * A create answered 201 whose body stalls while idempotency reads its replay copy, and a caller
 * who aborts meanwhile: the call used to resolve with the 201, its body already torn down with
 * the caller's signal (reading it threw "Body is unusable"), so the created id was lost. It now
 * rejects with the caller's abort reason, and the record keeps that the create landed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFetch, idempotency, memoryStore, retry } from '../src/index.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('a caller abort while the replay copy of a 201 is read', () => {
  it('rejects with the abort reason, one POST sent, the record succeeded', async () => {
    server = await startHostileServer((_seen, response) => {
      response.writeHead(201, { 'content-type': 'application/json', 'content-length': '100' });
      response.write('{"id":');
    });
    const store = memoryStore();
    const sureFetch = createFetch({ bodyTimeoutMs: 5000, middleware: [idempotency({ store }), retry()] });
    const caller = new AbortController();
    const reason = new Error('the caller left');
    setTimeout(() => caller.abort(reason), 150);
    const started = Date.now();
    const outcome = await sureFetch(`${server.url}/v1/orders`, { method: 'POST', body: '{}', signal: caller.signal, surefetch: { idempotencyScope: 'order-7' } }).catch((caught: unknown) => caught);
    expect(outcome).toBe(reason);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
    expect((await store.get('order-7'))?.state).toBe('succeeded');
  });
});
