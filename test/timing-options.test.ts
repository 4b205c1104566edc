/**
 * The timing options (`attemptTimeoutMs`, `bodyTimeoutMs`, `deadlineMs`, `maxWaitMs`) at their
 * edges, against a real local server: `Infinity` and 0 mean no limit for the two timeouts, a
 * value past what one timer holds (2**31 ms) is honoured rather than fired after 1 ms, and a
 * value that is not a duration (NaN, negative, a string, null) is refused before anything is
 * sent: by `createFetch` with a `RangeError` or `TypeError`, per call with an
 * `InvalidRequestError`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeadlineExceededError, InvalidRequestError, createFetch, idempotency, retry, type CallOptions, type CreateFetchOptions } from '../src/index.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

let server: HostileServer;
let created = 0;
beforeAll(async () => {
  server = await startHostileServer((seen, response) => {
    if (seen.path === '/slow') {
      setTimeout(() => {
        response.writeHead(201, { 'Content-Type': 'application/json' });
        response.end('{"id":"slow"}');
      }, 150);
      return;
    }
    // A success body in two parts, 20 ms apart: read for the replay copy under bodyTimeoutMs.
    created += 1;
    response.writeHead(201, { 'Content-Type': 'application/json' });
    response.write('{"id":');
    setTimeout(() => response.end(`"ord_${String(created)}"}`), 20);
  });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
});

const posts = (): number => server.requests.filter((seen) => seen.method === 'POST').length;

describe('attemptTimeoutMs with no limit, or past what one timer holds', () => {
  it.each([
    ['Infinity', Number.POSITIVE_INFINITY],
    ['2**31', 2 ** 31],
    ['0 (no limit)', 0],
  ])('createFetch({ attemptTimeoutMs: %s }): a create answered after 150 ms succeeds, sent once', async (_name, attemptTimeoutMs) => {
    const sureFetch = createFetch({ attemptTimeoutMs, middleware: [retry()] });
    const response = await sureFetch(`${server.url}/slow`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ id: 'slow' });
    expect(posts()).toBe(1);
  });

  it.each([
    ['Infinity', Number.POSITIVE_INFINITY],
    ['2**31', 2 ** 31],
  ])('per call { attemptTimeoutMs: %s }: a create answered after 150 ms succeeds, sent once', async (_name, attemptTimeoutMs) => {
    const sureFetch = createFetch({ middleware: [retry()] });
    const response = await sureFetch(`${server.url}/slow`, { method: 'POST', body: '{}', surefetch: { attemptTimeoutMs } });
    expect(response.status).toBe(201);
    expect(posts()).toBe(1);
  });
});

describe('bodyTimeoutMs with no limit', () => {
  it.each([
    ['Infinity', Number.POSITIVE_INFINITY],
    ['2**31', 2 ** 31],
  ])('bodyTimeoutMs: %s stores the replay copy: the re-run of the scope replays it without a second POST', async (name, bodyTimeoutMs) => {
    const sureFetch = createFetch({ bodyTimeoutMs, middleware: [idempotency(), retry()] });
    const scope = `order:body-${name}`;
    const first = await sureFetch(`${server.url}/orders`, { method: 'POST', body: '{"sku":"A"}', surefetch: { idempotencyScope: scope } });
    const firstBody: unknown = await first.json();
    const again = await sureFetch(`${server.url}/orders`, { method: 'POST', body: '{"sku":"A"}', surefetch: { idempotencyScope: scope } });
    expect(again.status).toBe(201);
    expect(await again.json()).toEqual(firstBody);
    expect(posts()).toBe(1);
  });
});

const timingOptions = ['attemptTimeoutMs', 'bodyTimeoutMs', 'deadlineMs', 'maxWaitMs'] as const;
const notDurations: ReadonlyArray<[string, unknown, typeof RangeError | typeof TypeError]> = [
  ['NaN', Number.NaN, RangeError],
  ['-1', -1, RangeError],
  ['-Infinity', Number.NEGATIVE_INFINITY, RangeError],
  ["'500'", '500', TypeError],
  ['null', null, TypeError],
];

describe('a timing option that is not a duration', () => {
  for (const option of timingOptions) {
    it.each(notDurations)(`createFetch({ ${option}: %s }) throws the error naming the option`, (_name, value, ErrorClass) => {
      const options = { [option]: value } as unknown as CreateFetchOptions;
      expect(() => createFetch(options)).toThrow(ErrorClass);
      expect(() => createFetch(options)).toThrow(option);
    });

    it.each(notDurations)(`per call { ${option}: %s } rejects with an InvalidRequestError naming the option; nothing is sent`, async (_name, value) => {
      const sureFetch = createFetch({ middleware: [idempotency(), retry()] });
      const surefetch = { [option]: value } as unknown as CallOptions;
      const call = sureFetch(`${server.url}/orders`, { method: 'POST', body: '{}', surefetch: { ...surefetch, idempotencyScope: `bad-${option}` } });
      await expect(call).rejects.toBeInstanceOf(InvalidRequestError);
      await expect(call).rejects.toThrow(option);
      expect(server.requests).toHaveLength(0);
    });
  }
});

describe('deadlineMs of 0', () => {
  it('rejects with DeadlineExceededError and sends nothing (the deadline is now)', async () => {
    const sureFetch = createFetch({ middleware: [retry()] });
    await expect(sureFetch(`${server.url}/orders`, { method: 'POST', body: '{}', surefetch: { deadlineMs: 0 } })).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(server.requests).toHaveLength(0);
  });
});
