/**
 * A server-directed wait longer than a timer can hold (2**31 - 1 ms, about 24.8 days), taken by a
 * worker that allows it (`maxWaitMs` of 60 days): the refused request must not be re-sent before
 * the wait is over (Node clamps an overflowing setTimeout delay to 1 ms), and the wait must stay
 * abortable. Against a real local server answering 429 with `Retry-After` of 30 days.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetch, rateLimit, retry, type Middleware } from '../src/index.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

const DAY = 86_400_000;

let server: HostileServer;
beforeAll(async () => {
  server = await startHostileServer((_seen, response) => {
    response.writeHead(429, { 'Retry-After': String((30 * DAY) / 1000) });
    response.end();
  });
});
afterAll(async () => {
  await server.close();
});

describe('a 30-day Retry-After with maxWaitMs of 60 days', () => {
  it.each<[string, () => Middleware[]]>([
    ['retry()', () => [retry()]],
    ['retry() and rateLimit()', () => [retry(), rateLimit()]],
  ])('with %s: one request within 1 s, the call still pending, no TimeoutOverflowWarning; an abort rejects it with the reason', async (_name, middleware) => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning.name);
    };
    process.on('warning', onWarning);
    try {
      const path = `/things-${String(server.requests.length)}`;
      const sureFetch = createFetch({ maxWaitMs: 60 * DAY, middleware: middleware() });
      const controller = new AbortController();
      let settled = false;
      const call = sureFetch(`${server.url}${path}`, { signal: controller.signal }).finally(() => {
        settled = true;
      });
      call.catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(server.requests.filter((seen) => seen.path === path)).toHaveLength(1);
      expect(settled).toBe(false);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((name) => name === 'TimeoutOverflowWarning')).toEqual([]);
      const reason = new Error('the worker shuts down');
      controller.abort(reason);
      await expect(call).rejects.toBe(reason);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
