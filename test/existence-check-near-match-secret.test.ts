/**
 * A near match without an `id` was named by its JSON in ExistenceCheckError's reason and
 * nearMatches: a stored item echoing a secret the create sent (a webhook's signing secret)
 * put that secret into the error. It is now named by a hash of its content.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFetch, ExistenceCheckError, idempotency, lookupExistence, memoryStore, retry } from '../src/index.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

const SECRET = 'whsec_9f8e7d6c5b4a39281706f5e4d3c2b1a0';
let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('a near match that has no id', () => {
  it('fails closed without the secret the item echoes in the error, one POST', async () => {
    const stored: unknown[] = [];
    server = await startHostileServer((seen, response) => {
      if (seen.method === 'POST') {
        // Stored with its url rewritten (a near match), committed, answered 500.
        const sent = JSON.parse(seen.body) as Record<string, unknown>;
        stored.push({ ...sent, url: `${String(sent.url)}/`, createdAt: new Date().toISOString() });
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end('{"message":"boom"}');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(stored));
    });
    const existenceCheck = lookupExistence({
      lookupUrl: ({ url }) => new URL('/v1/webhooks', url),
      candidates: (body) => (Array.isArray(body) ? body : undefined),
      identifies: (found, { body }) => (found as { event: string }).event === (body as { event: string }).event,
      createdAt: (found) => Date.parse((found as { createdAt: string }).createdAt),
      settleDelaysMs: [0, 20],
    });
    const sureFetch = createFetch({ middleware: [idempotency({ store: memoryStore(), existenceCheck }), retry({ baseDelayMs: 5 })] });
    const error = await sureFetch(`${server.url}/v1/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'order.paid', url: 'https://hooks.example.com/in', signing_secret: SECRET }),
      surefetch: { idempotencyScope: 'hook-1' },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExistenceCheckError);
    const everything = JSON.stringify({ ...(error as ExistenceCheckError), message: (error as Error).message, reason: (error as ExistenceCheckError).reason });
    expect(everything).toContain('no id, content');
    expect(everything).not.toContain(SECRET);
    expect(server.requests.filter((seen) => seen.method === 'POST')).toHaveLength(1);
  });
});
