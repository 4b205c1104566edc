/**
 * A BullMQ worker that creates orders exactly once. `bullmqProcessor` speaks surefetch's errors
 * in BullMQ's language: a 429 longer than the worker may sleep moves the job to *delayed* until
 * the server's time (no attempt spent, the worker free meanwhile); a 400 fails it without retries
 * (`UnrecoverableError`). The idempotency scope is the order number, stable across retries.
 * Needs Redis (REDIS_URL, default redis://127.0.0.1:6379).
 */
import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { byRoute, createFetch, fulfillmentOrders, idempotency, retry } from 'surefetch';
import { bullmqProcessor } from 'surefetch/bullmq';
import { redisStore } from 'surefetch/redis';
import { startFulfillment } from '../test/emulator/fulfillment.js';

interface OrderJob {
  readonly orderNumber: string;
  readonly email: string;
}

export async function main(): Promise<void> {
  const api = await startFulfillment();
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  // BullMQ closes only the connections it opened: these three are ours to close.
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const workerConnection = connection.duplicate();
  const eventsConnection = connection.duplicate();
  const name = `orders-example-${Date.now()}`;
  const headers = { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' };
  const store = redisStore({ url: redisUrl, namespace: name });

  // #region worker
  const sureFetch = createFetch({
    middleware: [idempotency({ store, existenceCheck: byRoute(fulfillmentOrders()) }), retry({ maxWaitMs: 500 })],
  });
  const worker = new Worker<OrderJob>(
    name,
    bullmqProcessor(async (job, _token, signal) => {
      const response = await sureFetch(`${api.url}/v1/orders/create`, {
        method: 'POST',
        headers,
        signal,
        body: JSON.stringify({
          campaignId: 'spring',
          externalRef: job.data.orderNumber,
          shipTo: { name: 'Ada', email: job.data.email, address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' },
          products: [{ sku: 'SKU-1', quantity: 1 }],
        }),
        surefetch: { idempotencyScope: `order:${job.data.orderNumber}`, deadlineMs: 20_000 },
      });
      return ((await response.json()) as { id: string }).id;
    }),
    { connection: workerConnection },
  );
  // #endregion worker

  const queue = new Queue<OrderJob>(name, { connection });
  const events = new QueueEvents(name, { connection: eventsConnection });
  try {
    await events.waitUntilReady();
    // The API asks to come back in 1 s (it could be an hour): more than the worker may sleep.
    api.faults.script('POST /v1/orders/create', { kind: 'respond', status: 429, headers: { 'Retry-After': '1' } });
    // #region enqueue
    const good = await queue.add('create', { orderNumber: 'A-100', email: 'ada@example.com' }, { attempts: 5, backoff: { type: 'exponential', delay: 1000 } });
    const bad = await queue.add('create', { orderNumber: 'A-101', email: 'not-an-email' }, { attempts: 5 });
    // #endregion enqueue
    const settle = async (job: Job<OrderJob>): Promise<string> => {
      const result = await job.waitUntilFinished(events, 15_000).then(String, (error: unknown) => `failed: ${(error as Error).message}`);
      return `${job.data.orderNumber} → ${result}`;
    };
    console.log(await settle(good));
    console.log(await settle(bad), `(attempts made: ${(await queue.getJob(bad.id ?? ''))?.attemptsMade})`);
    console.log('orders on the server:', api.records.orders.length, '| create requests:', api.requests.filter((r) => r.path === '/v1/orders/create').length);
    if (api.records.orders.length !== 1) throw new Error('expected exactly one order');
  } finally {
    await worker.close();
    await events.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await store.close();
    for (const client of [connection, workerConnection, eventsConnection]) client.disconnect();
    await api.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
