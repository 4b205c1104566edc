/**
 * A wait an inner layer will not take (rateLimit holding a create for a 429's 60 s, with
 * `maxWaitMs` 500) stops the call with `RetryLaterError`: what it held was not sent, or was
 * refused unprocessed. Before, retry read that error as an ambiguous attempt: a create without a
 * scope got `AmbiguousOutcomeError` ("may have been applied") for a create never applied, which a
 * queue then fails, and a scoped one was looked up and came back with the lookup's retryAt.
 * Against a hostile server that answers every create 429 with `Retry-After: 60`.
 */
import { afterEach, expect, it } from 'vitest';
import { createFetch, idempotency, memoryStore, queueDecisionOf, rateLimit, retry, RetryLaterError } from '../src/index.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';
import { lateItemsCheck, postItem } from './hostile/late-reader.js';

let api: HostileServer | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const startRefusing = async (): Promise<HostileServer> =>
  (api = await startHostileServer((seen, response) => {
    if (seen.method === 'GET') return void response.writeHead(200, { 'content-type': 'application/json' }).end('[]');
    response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '60' }).end('{"message":"slow down"}');
  }));

it.each([['without a scope', undefined], ['with a scope', 'job-rl1']])('%s, a create answered 429 Retry-After 60 inside retry: RetryLaterError at the server\'s time, nothing looked up', async (_name, scope) => {
  const server = await startRefusing();
  const sureFetch = createFetch({ middleware: [idempotency({ store: memoryStore(), existenceCheck: lateItemsCheck() }), retry(), rateLimit()], maxWaitMs: 500 });
  const started = Date.now();
  const error = await postItem(sureFetch, server.url, scope).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RetryLaterError);
  expect((error as RetryLaterError).retryAt).toBeGreaterThanOrEqual(started + 59_000);
  expect(queueDecisionOf(error).action).toBe('delay');
  expect(server.requests.filter((r) => r.method === 'GET')).toHaveLength(0);
  expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
});

it.each([['without a scope', undefined], ['with a scope', 'job-rl2']])('%s, a create held by rateLimit before any send (an earlier 429 named 60 s): RetryLaterError, nothing sent or looked up', async (_name, scope) => {
  const server = await startRefusing();
  const limit = rateLimit();
  await createFetch({ middleware: [retry(), limit], maxWaitMs: 500 })(`${server.url}/v1/other`, { method: 'POST', body: '{}' }).catch(() => undefined);
  const before = server.requests.length;
  const sureFetch = createFetch({ middleware: [idempotency({ store: memoryStore(), existenceCheck: lateItemsCheck() }), retry(), limit], maxWaitMs: 500 });
  const error = await postItem(sureFetch, server.url, scope).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RetryLaterError);
  expect(server.requests.slice(before)).toHaveLength(0);
});
