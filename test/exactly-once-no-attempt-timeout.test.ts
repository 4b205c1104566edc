/**
 * A create sent with no attempt timeout (`attemptTimeoutMs` of 0 or `Infinity`) that gets no
 * answer (a gateway's 504) may be acted on at any time: its wait is counted as a day, not as
 * `Infinity`, which made the call throw a bare RangeError (an invalid date) and was stored as
 * `null`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFetch, idempotency, lookupExistence, memoryStore, retry, RetryLaterError } from '../src/index.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

const DAY_MS = 86_400_000;
let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe.each([0, Number.POSITIVE_INFINITY])('a create with attemptTimeoutMs %s answered by a 504', (attemptTimeoutMs) => {
  it('rejects with RetryLaterError two days out, sent once, its send stored with a day as its timeout', async () => {
    server = await startHostileServer((seen, response) => {
      if (seen.method === 'POST') {
        response.writeHead(504, { 'content-type': 'text/plain' });
        response.end('gateway timeout');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('[]');
    });
    const store = memoryStore();
    const existenceCheck = lookupExistence({
      lookupUrl: ({ url }) => new URL('/v1/items?email=ada%40example.com', url),
      candidates: (found) => (Array.isArray(found) ? found : undefined),
      settleDelaysMs: [0, 20],
    });
    const sureFetch = createFetch({ attemptTimeoutMs, middleware: [idempotency({ store, existenceCheck }), retry({ baseDelayMs: 1 })] });
    const started = Date.now();
    const error = await sureFetch(`${server.url}/v1/items`, {
      method: 'POST',
      body: '{"email":"ada@example.com"}',
      headers: { 'content-type': 'application/json' },
      surefetch: { idempotencyScope: 'item:ada' },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryLaterError);
    expect((error as RetryLaterError).retryAt).toBeGreaterThanOrEqual(started + 2 * DAY_MS - 1000);
    expect((error as RetryLaterError).message).toMatch(/retry at \d{4}-/);
    expect(server.requests.filter((seen) => seen.method === 'POST')).toHaveLength(1);
    expect((await store.get('item:ada'))?.unanswered?.timeoutMs).toBe(DAY_MS);
  });
});
