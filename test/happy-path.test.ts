/**
 * The cheap happy path (issue 11) keeps its promises: calls made without a signal share one that
 * never aborts, and must leave no listener on it; GETs built without a `Request` must refuse what
 * a `Request` refuses, with the same typed error.
 */
import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { circuitBreaker, createFetch, idempotency, InvalidRequestError, rateLimit, retry } from '../src/index.js';
import { unsetSignal } from '../src/core/signals.js';
import { startFulfillment, type FulfillmentEmulator } from './emulator/fulfillment.js';

let api: FulfillmentEmulator;
beforeAll(async () => {
  api = await startFulfillment();
});
afterAll(async () => {
  await api.close();
});

const order = (index: number) => ({
  campaignId: 'spring-26',
  shipTo: { name: 'Ada', email: `ada${index}@example.com`, address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' },
  products: [{ sku: 'SKU-1', quantity: 1 }],
});

describe('happy path without a caller signal', () => {
  it('leaves no abort listener on the shared signal after GETs and scoped creates through the full pipeline', async () => {
    const limit = rateLimit();
    const sureFetch = createFetch({ middleware: [idempotency(), retry(), circuitBreaker(), limit] });
    const headers = { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' };
    try {
      const gets = Array.from({ length: 20 }, () => sureFetch(`${api.url}/v1/orders/list`, { headers }).then((response) => response.json()));
      const creates = Array.from({ length: 5 }, (_, index) =>
        sureFetch(`${api.url}/v1/orders/create`, {
          method: 'POST',
          headers,
          body: JSON.stringify(order(index)),
          surefetch: { idempotencyScope: `happy-path:${index}` },
        }).then((response) => response.status),
      );
      await Promise.all(gets);
      const statuses = await Promise.all(creates);
      expect(statuses.every((status) => status >= 200 && status < 300)).toBe(true);
      expect(getEventListeners(unsetSignal, 'abort')).toHaveLength(0);
      expect(unsetSignal.aborted).toBe(false);
    } finally {
      await limit.close();
    }
  });
});

describe('GETs built without a Request', () => {
  const sureFetch = createFetch({ middleware: [retry({ maxAttempts: 1 })] });
  it.each([
    ['a URL with credentials in it', 'http://user:secret@127.0.0.1:9/v1/orders/list', undefined],
    ['a relative URL', '/v1/orders/list', undefined],
    ['a header value with a line break', 'http://127.0.0.1:9/v1/orders/list', { headers: { 'X-Trace': 'a\nb' } }],
  ])('refuse %s with an InvalidRequestError, sending nothing', async (_what, url, init) => {
    await expect(sureFetch(url, init)).rejects.toBeInstanceOf(InvalidRequestError);
  });
});

describe('the shared signal of calls without one', () => {
  it('keeps no abort listener that a custom middleware adds and never removes, and still reports abort listeners nowhere else', async () => {
    const sureFetch = createFetch({
      middleware: [
        (ctx, next) => {
          ctx.signal.addEventListener('abort', () => undefined);
          ctx.signal.onabort = () => undefined;
          return next(ctx);
        },
      ],
    });
    for (let index = 0; index < 50; index += 1) await (await sureFetch(`${api.url}/v1/orders/list`, { headers: { Authorization: `Bearer ${api.apiKey}` } })).arrayBuffer();
    expect(getEventListeners(unsetSignal, 'abort')).toHaveLength(0);
    expect(unsetSignal.onabort).toBeNull();
    const own = new AbortController();
    own.signal.addEventListener('abort', () => undefined);
    expect(getEventListeners(own.signal, 'abort')).toHaveLength(1);
  });
});
