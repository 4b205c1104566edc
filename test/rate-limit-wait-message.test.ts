/**
 * A RetryLaterError says whose wait it refused: the server's own time, or rateLimit's fallback
 * when the refusal gave none (it said "the server asked to wait" for both).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RetryLaterError, circuitBreaker, createFetch, rateLimit, retry } from '../src/index.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function refusedWith(headers: Record<string, string>): Promise<RetryLaterError> {
  server = await startHostileServer((_seen, response) => {
    response.writeHead(429, headers);
    response.end();
  });
  const sureFetch = createFetch({ middleware: [rateLimit({ fallbackWaitMs: 5000 })], maxWaitMs: 500 });
  return (await sureFetch(`${server.url}/v1/orders`).catch((e: unknown) => e)) as RetryLaterError;
}

describe('the message of a refused long wait', () => {
  it("names rateLimit's fallback when the 429 gave no time", async () => {
    const error = await refusedWith({});
    expect(error).toBeInstanceOf(RetryLaterError);
    expect(error.message).toMatch(/the server gave no usable time, and rateLimit's fallback wait is \d+ ms/);
    expect(error.message).not.toContain('the server asked');
  });

  it('names the server when the 429 gave Retry-After', async () => {
    const error = await refusedWith({ 'retry-after': '7' });
    expect(error).toBeInstanceOf(RetryLaterError);
    expect(error.message).toMatch(/the server asked to wait \d+ ms/);
  });
});

describe("the message of retry's refused long wait", () => {
  it("names retry's fallback when a 429 gave no time (no rateLimit)", async () => {
    server = await startHostileServer((_seen, response) => response.writeHead(429).end());
    const sureFetch = createFetch({ middleware: [retry({ fallbackWaitMs: 5000 })], maxWaitMs: 500 });
    const error = (await sureFetch(`${server.url}/v1/orders`).catch((e: unknown) => e)) as RetryLaterError;
    expect(error).toBeInstanceOf(RetryLaterError);
    expect(error.message).toMatch(/the server gave no usable time, and retry's fallback wait is 5000 ms/);
    expect(error.message).not.toContain('the server asked');
  });

  it('names the circuit breaker when the wait is its open circuit', async () => {
    server = await startHostileServer((_seen, response) => response.writeHead(503).end());
    const sureFetch = createFetch({ middleware: [retry({ baseDelayMs: 1, maxAttempts: 4 }), circuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 60_000 })], maxWaitMs: 500 });
    const error = (await sureFetch(`${server.url}/v1/orders`).catch((e: unknown) => e)) as RetryLaterError;
    expect(error).toBeInstanceOf(RetryLaterError);
    expect(error.message).toMatch(/the circuit breaker holds the API for \d+ ms/);
    expect(error.message).not.toContain('the server asked');
    expect(server.requests).toHaveLength(1);
  });
});
