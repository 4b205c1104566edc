/**
 * An error's `attempts` counts every send the call made, whichever layer re-sent: rateLimit
 * re-sends a refusal within one of retry's attempts, and the count once said 1 where the server
 * had seen 4.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AmbiguousOutcomeError, HttpError, createFetch, rateLimit, retry } from '../src/index.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('attempts of an error', () => {
  it('is the number of requests the server saw when rateLimit re-sent 429s inside retry', async () => {
    server = await startHostileServer((_seen, response) => {
      response.writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' });
      response.end('{"message":"slow down"}');
    });
    const sureFetch = createFetch({ middleware: [retry(), rateLimit({ fallbackWaitMs: 5, maxFallbackWaitMs: 20 })] });
    const error = await sureFetch(`${server.url}/v1/orders`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(server.requests.length).toBeGreaterThan(1);
    expect((error as HttpError).attempts).toBe(server.requests.length);
  });

  it('of an AmbiguousOutcomeError is the number of POSTs the server saw after 429, 429, 500', async () => {
    const statuses = [429, 429, 500];
    server = await startHostileServer((_seen, response) => {
      const status = statuses.shift() ?? 500;
      response.writeHead(status, status === 429 ? { 'retry-after': '0' } : {});
      response.end();
    });
    const sureFetch = createFetch({ middleware: [retry(), rateLimit({ fallbackWaitMs: 5, maxFallbackWaitMs: 20 })] });
    const error = await sureFetch(`${server.url}/v1/orders`, { method: 'POST', body: '{}' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmbiguousOutcomeError);
    expect(server.requests).toHaveLength(3);
    expect((error as AmbiguousOutcomeError).attempts).toBe(3);
  });
});
