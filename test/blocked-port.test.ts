/**
 * fetch refuses a port on its list of blocked ports (1, 9, 6000, …) before it connects: a create
 * sent there never left the machine, so it is not-sent, not "may have been applied".
 */
import { describe, expect, it } from 'vitest';
import { NetworkError, createFetch, retry } from '../src/index.js';

describe('a create to a port fetch blocks', () => {
  it('fails with a not-sent NetworkError naming the blocked port, not an AmbiguousOutcomeError', async () => {
    const sureFetch = createFetch({ middleware: [retry({ maxAttempts: 1 })] });
    const error = await sureFetch('http://127.0.0.1:1/v1/orders', { method: 'POST', body: '{}' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).sent).toBe('not-sent');
    expect((error as NetworkError).message).toContain('blocked ports');
  });
});
