/**
 * A write answered 303 whose GET of the Location is refused (429, any Retry-After) rejects with
 * REDIRECT_FAILED; with idempotency's existence check, the look it takes as the call gives up
 * goes through rateLimit and must not be held by that GET's refusal: the created item is found
 * at once, one POST. (A version that taught rateLimit the GET's 429 held the look for the
 * refusal's time.) The same within a deadline or a short maxWaitMs. Real local servers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFetch, idempotency, memoryStore, rateLimit, retry } from '../src/index.js';
import { lateItemsCheck, postItem } from './hostile/late-reader.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

const servers: HostileServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function itemsApi(retryAfter: string) {
  const items: { id: string; email: string; createdAt: string }[] = [];
  const server = await startHostileServer((seen, response) => {
    const url = new URL(seen.path, 'http://items.test');
    if (seen.method === 'POST') {
      const item = { id: `item_${items.length + 1}`, email: (JSON.parse(seen.body) as { email: string }).email, createdAt: new Date().toISOString() };
      items.push(item);
      return void response.writeHead(303, { location: `/v1/items/${item.id}` }).end();
    }
    if (url.pathname === '/v1/items') return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(items));
    response.writeHead(429, { 'content-type': 'application/json', 'retry-after': retryAfter }).end('{"message":"read it later"}');
  });
  servers.push(server);
  return Object.assign(server, { items });
}
const posts = (server: HostileServer): number => server.requests.filter((seen) => seen.method === 'POST').length;

describe("the give-up existence check after a write's 303 whose GET is refused", () => {
  for (const [retryAfter, scope] of [['2', 'job-a1:create'], ['3600', 'job-a2:create'], ['3600', undefined]] as const) {
    it(`Retry-After ${retryAfter}, scope ${String(scope)}: recovered within 800 ms, one POST`, async () => {
      const api = await itemsApi(retryAfter);
      const store = memoryStore();
      const sureFetch = createFetch({
        middleware: [idempotency({ store, existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 1 }), rateLimit({ fallbackWaitMs: 5 })],
        redirects: { followAsGet: true },
        maxWaitMs: 5000,
      });
      const started = Date.now();
      const outcome = await postItem(sureFetch, api.url, scope).then(
        (r) => ({ status: r.status, recovered: r.headers.get('x-surefetch-recovered') }),
        (e: unknown) => ({ error: (e as Error).name, code: (e as { code?: string }).code, message: (e as Error).message }),
      );
      const elapsed = Date.now() - started;
      expect(posts(api)).toBe(1);
      expect(outcome).toEqual({ status: 201, recovered: 'lookup' });
      expect(elapsed).toBeLessThan(800);
    });
  }
});

const cases = [
  { name: 'deadlineMs 1000, Retry-After 3, scoped', retryAfter: '3', scope: 'job-b1:create', timing: { deadlineMs: 1000, maxWaitMs: 5000 } },
  { name: 'deadlineMs 1000, Retry-After 3, unscoped', retryAfter: '3', scope: undefined, timing: { deadlineMs: 1000, maxWaitMs: 5000 } },
  { name: 'maxWaitMs 500, Retry-After 2, scoped', retryAfter: '2', scope: 'job-b2:create', timing: { maxWaitMs: 500 } },
  { name: 'maxWaitMs 500, Retry-After 2, unscoped', retryAfter: '2', scope: undefined, timing: { maxWaitMs: 500 } },
];

describe('the same look within the call\'s deadline or maxWaitMs', () => {
  for (const c of cases) {
    it(`${c.name}: recovered by the give-up look, one POST`, async () => {
      const api = await itemsApi(c.retryAfter);
      const store = memoryStore();
      const sureFetch = createFetch({
        middleware: [idempotency({ store, existenceCheck: lateItemsCheck() }), retry({ baseDelayMs: 1 }), rateLimit({ fallbackWaitMs: 5 })],
        redirects: { followAsGet: true },
        ...c.timing,
      });
      const outcome = await postItem(sureFetch, api.url, c.scope).then(
        (r) => ({ status: r.status, recovered: r.headers.get('x-surefetch-recovered') }),
        (e: unknown) => ({ error: (e as Error).name, code: (e as { code?: string }).code, message: (e as Error).message }),
      );
      expect(posts(api)).toBe(1);
      expect(outcome).toEqual({ status: 201, recovered: 'lookup' });
    });
  }
});
