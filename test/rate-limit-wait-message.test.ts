/**
 * A RetryLaterError says whose wait it refused: the server's own time, or rateLimit's fallback
 * when the refusal gave none (it said "the server asked to wait" for both).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RetryLaterError, createFetch, rateLimit } from '../src/index.js';
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
