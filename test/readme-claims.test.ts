/**
 * Claims the README makes that no other test checks: the 64 KiB cap of an error's `body`, a
 * store that fails in the middle of an `idempotency` call (a `StoreUnavailableError`, never an
 * unprotected send), the retry budget's cost of a retry after a timeout, and an idempotency key
 * that stays the same when a scope is re-run in a new process.
 */
import { spawn } from 'node:child_process';
import { tracked } from './support/child-processes.js';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttemptTimeoutError, HttpError, byRoute, createFetch, createManualClock, createRetryBudget, fulfillmentOrders, idempotency, retry, type SurefetchEvent } from '../src/index.js';
import { apiKeyOf } from '../src/rate-limit/api-key.js';
import { startHostileServer } from './hostile/server.js';
import { redisStore } from '../src/store/redis-store.js';
import { StoreUnavailableError } from '../src/store/store-unavailable-error.js';
import { fulfillmentForSuite } from './support/fulfillment-for-suite.js';
import { startFreezingProxy, throughProxy } from './support/freezing-proxy.js';
import { redisForTests } from './support/services.js';
import { uniqueNamespace } from './support/store-contract.js';

const redis = await redisForTests();

describe('the error body cap (README: "the raw body (capped at 64 KiB)")', () => {
  let server: Server;
  let url = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      const size = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('bytes'));
      res.writeHead(400, { 'Content-Type': 'text/plain' });
      res.end('e'.repeat(size));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = typeof address === 'object' && address !== null ? `http://127.0.0.1:${String(address.port)}` : '';
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('keeps at most 64 KiB of a 1 MiB error body and says it was truncated; a small body is kept whole', async () => {
    const sureFetch = createFetch({ clock: createManualClock() });
    const big = await sureFetch(`${url}/?bytes=${String(1024 * 1024)}`).catch((e: unknown) => e);
    expect(big).toBeInstanceOf(HttpError);
    expect(Buffer.byteLength((big as HttpError).body)).toBeLessThanOrEqual(64 * 1024);
    expect(Buffer.byteLength((big as HttpError).body)).toBeGreaterThan(60 * 1024);
    expect((big as HttpError).bodyTruncated).toBe(true);
    const small = (await sureFetch(`${url}/?bytes=1000`).catch((e: unknown) => e)) as HttpError;
    expect(small.body).toBe('e'.repeat(1000));
    expect(small.bodyTruncated).toBe(false);
  });
});

describe.skipIf(!redis.url)('a store that fails in the middle of an idempotency call (README: "never an unprotected send")', () => {
  const api = fulfillmentForSuite();

  it('Redis freezes after an ambiguous first send that did not land: StoreUnavailableError, and no re-send', async () => {
    const proxy = await startFreezingProxy(Number(new URL(redis.url ?? '').port || 6379));
    const store = redisStore({ url: throughProxy(redis.url ?? '', proxy), namespace: uniqueNamespace(), operationTimeoutMs: 300 });
    const events: SurefetchEvent[] = [];
    try {
      const sureFetch = createFetch({
        middleware: [idempotency({ store, existenceCheck: byRoute(fulfillmentOrders({ settleDelaysMs: [0] })) }), retry({ baseDelayMs: 10 })],
        clock: createManualClock(),
        onEvent: (event) => {
          events.push(event);
          // The first send is over (the connection reset, nothing committed): the store goes away now.
          if (event.type === 'attempt-end') proxy.freeze();
        },
      });
      api.faults.script('POST /v1/orders/create', { kind: 'reset-before-commit' });
      const email = `store-dies-${uniqueNamespace()}@example.com`;
      const error = await sureFetch(`${api.url}/v1/orders/create`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ campaignId: 'c', shipTo: { name: 'A', email, address1: '1', city: 'C', zip: '1', country: 'US' }, products: [{ sku: 'SKU-1', quantity: 1 }] }),
        surefetch: { idempotencyScope: `job:${email}` },
      }).catch((e: unknown) => e);
      expect(api.faults.pending()).toBe(0);
      // One create went out, unanswered (reset): recording it as a send the API may still act on
      // needed the store, before any lookup or re-send.
      expect(events.filter((event) => event.type === 'attempt-end' && event.purpose === undefined)).toHaveLength(1);
      expect(events.some((event) => event.type === 'attempt-end' && event.purpose === 'lookup')).toBe(false);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(api.requests.filter((r) => r.method === 'POST' && JSON.stringify(r.body ?? '').includes(email))).toHaveLength(1);
      expect(api.records.orders.filter((o) => o.shipTo.email === email)).toHaveLength(0);
    } finally {
      await store.close();
      await proxy.close();
    }
  });
});

describe('the retry budget after a timeout (README: "5 per retry, 10 after a timeout")', () => {
  const api = fulfillmentForSuite();

  it('a retry after a per-attempt timeout takes 10 tokens, one after a 500 takes 5', async () => {
    const budget = createRetryBudget({ capacity: 25 });
    const sureFetch = createFetch({ middleware: [retry({ budget, maxAttempts: 4, baseDelayMs: 1 })], attemptTimeoutMs: 100 });
    const url = `${api.url}/v1/orders/list?campaignId=c&email=budget@example.com`;
    const headers = { Authorization: `Bearer ${api.apiKey}` };
    const name = apiKeyOf({ url, method: 'GET', headers: new Headers(headers), body: null, replayable: true, options: {} });
    // Every answer comes after the attempt gave up: 25 tokens pay two timeout retries (10 each), not a third.
    api.faults.script('GET /v1/orders/list', ...Array.from({ length: 4 }, () => ({ kind: 'delay' as const, ms: 1000 })));
    const timedOut = await sureFetch(url, { headers }).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(AttemptTimeoutError);
    expect(api.requests.length).toBe(3);
    expect(budget.tokens(name)).toBe(5);
    // The 5 left pay one retry after a 500, at its cost of 5.
    api.faults.clear();
    api.faults.script('GET /v1/orders/list', { kind: 'reject-500' }, { kind: 'reject-500' }, { kind: 'reject-500' });
    await expect(sureFetch(url, { headers })).rejects.toBeInstanceOf(HttpError);
    expect(api.requests.length).toBe(5);
    expect(budget.tokens(name)).toBe(0);
  });
});

describe.skipIf(!redis.url)('an idempotency key across processes (README: "a re-run of the scope reuses it")', () => {
  const child = fileURLToPath(new URL('./support/idempotency-key-child.ts', import.meta.url));

  it('a re-run of the scope in a new process, after the first was SIGKILLed mid-call, sends the same Idempotency-Key', async () => {
    // The first create is held without an answer (the worker dies waiting); the re-sent one is answered.
    const server = await startHostileServer((seen, response) => {
      if (server.requests.length === 1) return;
      response.writeHead(201, { 'Content-Type': 'application/json' });
      response.end('{"id":"ord_1"}');
    });
    const env = { ...process.env, STORE_URL: redis.url ?? '', NAMESPACE: uniqueNamespace(), API_URL: server.url, SCOPE: 'job-7:create-order' };
    const run = (onOutput: (text: string, kill: () => void) => void) =>
      new Promise<string>((resolve, reject) => {
        const proc = tracked(spawn(process.execPath, ['--import', 'tsx', child], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
        let output = '';
        proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        const poll = setInterval(() => onOutput(output, () => proc.kill('SIGKILL')), 20);
        proc.once('error', reject);
        proc.once('exit', (code, signal) => {
          clearInterval(poll);
          resolve(signal === 'SIGKILL' ? 'killed' : `${String(code)} ${output}`);
        });
      });
    try {
      const first = await run((_output, kill) => {
        if (server.requests.length >= 1) kill();
      });
      expect(first).toBe('killed');
      const second = await run(() => undefined);
      expect(second).toContain('done 201');
      expect(server.requests).toHaveLength(2);
      const [sent, resent] = server.requests.map((r) => r.headers['idempotency-key']);
      expect(sent).toMatch(/^[0-9a-f-]{36}$/);
      expect(resent).toBe(sent);
    } finally {
      await server.close();
    }
  }, 60_000);
});
