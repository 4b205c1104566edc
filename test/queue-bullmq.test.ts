import { Job, Queue, QueueEvents, Worker, type Processor } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFetch, idempotency, retry, retryAtOf } from '../src/index.js';
import { bullmqProcessor } from '../src/bullmq.js';
import { surefetchKy } from '../src/ky.js';
import { redisStore } from '../src/redis.js';
import { startFulfillment, type FulfillmentEmulator } from './emulator/fulfillment.js';
import { redisForTests } from './support/services.js';
import { order, type OrderJob } from './support/order-job.js';

const redis = await redisForTests();
if (redis.skipReason) console.warn(`BullMQ tests skipped: ${redis.skipReason}`);
const url = redis.url ?? '';

describe.skipIf(!redis.url)('BullMQ workers with bullmqProcessor', () => {
  let api: FulfillmentEmulator;
  let connection: Redis;
  let store: ReturnType<typeof redisStore>;
  const open: Array<{ close: () => Promise<void> }> = [];

  beforeAll(async () => {
    api = await startFulfillment();
    connection = new Redis(url, { maxRetriesPerRequest: null });
    store = redisStore({ url, namespace: `sf-bullmq-${crypto.randomUUID()}` });
  });
  afterEach(async () => {
    for (const item of open.splice(0).reverse()) await item.close();
    api.faults.clear();
    api.requests.length = 0;
  });
  afterAll(async () => {
    await store.close();
    connection.disconnect();
    await api.close();
  });

  /** A queue, its events and a worker running `processor` (closed after each test). */
  async function run(processor: Processor<OrderJob>, data: OrderJob, attempts = 3): Promise<{ job: Job<OrderJob>; events: QueueEvents; queue: Queue<OrderJob> }> {
    const name = `sf-${crypto.randomUUID()}`;
    const queue = new Queue<OrderJob>(name, { connection });
    const [eventsConnection, workerConnection] = [connection.duplicate(), connection.duplicate()];
    const events = new QueueEvents(name, { connection: eventsConnection });
    const worker = new Worker<OrderJob>(name, processor, { connection: workerConnection });
    // BullMQ does not close connections it was given: they are closed after the worker and events.
    const disconnect = { close: async () => [eventsConnection, workerConnection].forEach((client) => client.disconnect()) };
    const obliterate = { close: () => queue.obliterate({ force: true }) };
    open.push(disconnect, queue, obliterate, events, worker);
    await events.waitUntilReady();
    const job = await queue.add('create-order', data, { attempts, backoff: { type: 'fixed', delay: 0 } });
    return { job, events, queue };
  }

  /** Waits for the job to end (completed or failed) and reads it back. */
  const finished = async ({ job, events, queue }: { job: Job<OrderJob>; events: QueueEvents; queue: Queue<OrderJob> }) => {
    await job.waitUntilFinished(events, 20_000).catch(() => undefined);
    const latest = (await Job.fromId<OrderJob>(queue, job.id ?? '')) ?? job;
    return { state: await latest.getState(), job: latest };
  };

  const headers = () => ({ Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' });
  const ordersFor = (ref: string) => api.records.orders.filter((found) => found.externalRef === ref);
  const creates = () => api.requests.filter((request) => request.path === '/v1/orders/create').length;

  it('a job answered 429 is moved to delayed until retryAt (no attempt spent) and completes after it', async () => {
    api.faults.script('POST /v1/orders/create', { kind: 'respond', status: 429, headers: { 'Retry-After': '2' } });
    // An hour's Retry-After behaves the same; 2 s keeps the test short. maxWaitMs 500 makes it "too long to sleep".
    const sureFetch = createFetch({ middleware: [idempotency({ store }), retry({ maxWaitMs: 500 })] });
    const retryAts: number[] = [];
    const processor = bullmqProcessor<OrderJob, string, string>(async (job) => {
      try {
        const response = await sureFetch(`${api.url}/v1/orders/create`, {
          method: 'POST', headers: headers(), body: JSON.stringify(order(job.data)), surefetch: { idempotencyScope: `order:${job.data.orderNumber}` },
        });
        return ((await response.json()) as { id: string }).id;
      } catch (error) {
        const at = retryAtOf(error);
        if (at !== undefined) retryAts.push(at);
        throw error;
      }
    });
    const delayedUntil: number[] = [];
    const started = await run(processor, { orderNumber: 'A-1', email: 'a1@example.com' });
    started.events.on('delayed', ({ delay }) => delayedUntil.push(Number(delay)));
    const done = await finished(started);
    expect(done.state).toBe('completed');
    expect(retryAts).toHaveLength(1);
    expect(delayedUntil).toEqual(retryAts);
    const [first, second] = api.requests.filter((request) => request.path === '/v1/orders/create');
    expect(first?.fault?.kind).toBe('respond');
    expect(second?.time).toBeGreaterThanOrEqual(retryAts[0] ?? Number.NaN);
    expect(done.job.attemptsMade).toBe(1);
    expect(ordersFor('A-1')).toHaveLength(1);
  });

  it('a 400 (seen through ky\'s HTTPError) fails the job at once: UnrecoverableError, no queue retry', async () => {
    const api2 = surefetchKy(createFetch({ middleware: [retry()] }), { prefixUrl: api.url, headers: headers() });
    const processor = bullmqProcessor<OrderJob, unknown, string>(async (job) => api2.post('v1/orders/create', { json: { ...order(job.data), campaignId: '' } }).json());
    const done = await finished(await run(processor, { orderNumber: 'B-1', email: 'b1@example.com' }));
    expect(done.state).toBe('failed');
    expect(done.job.attemptsMade).toBe(1);
    expect(done.job.failedReason).toMatch(/^HTTP_400: /);
    expect(creates()).toBe(1);
  });

  it('an ambiguous create is reported as AMBIGUOUS_OUTCOME with its client request id, and not retried', async () => {
    api.faults.script('POST /v1/orders/create', { kind: 'commit-then-500' });
    const sureFetch = createFetch({ middleware: [idempotency({ store }), retry()] });
    const processor = bullmqProcessor<OrderJob, unknown, string>(async (job) =>
      sureFetch(`${api.url}/v1/orders/create`, {
        method: 'POST', headers: headers(), body: JSON.stringify(order(job.data)), surefetch: { idempotencyScope: `order:${job.data.orderNumber}` },
      }));
    const done = await finished(await run(processor, { orderNumber: 'C-1', email: 'c1@example.com' }));
    const record = await store.get('order:C-1');
    expect(done.state).toBe('failed');
    expect(done.job.attemptsMade).toBe(1);
    expect(done.job.failedReason).toMatch(/^AMBIGUOUS_OUTCOME: /);
    expect(done.job.failedReason).toContain(record?.clientRequestId ?? 'no record');
    expect(creates()).toBe(1);
  });

  it('the scope stays stable across BullMQ\'s own retries: a re-run after a crash replays the create', async () => {
    const sureFetch = createFetch({ middleware: [idempotency({ store }), retry()] });
    let runs = 0;
    const processor = bullmqProcessor<OrderJob, string, string>(async (job) => {
      runs += 1;
      const response = await sureFetch(`${api.url}/v1/orders/create`, {
        method: 'POST', headers: headers(), body: JSON.stringify(order(job.data)), surefetch: { idempotencyScope: `${job.id}:create-order` },
      });
      const { id } = (await response.json()) as { id: string };
      // The worker dies after the create landed, before the job is marked done.
      if (runs === 1) throw new Error('worker lost before acknowledging');
      return id;
    });
    const done = await finished(await run(processor, { orderNumber: 'D-1', email: 'd1@example.com' }));
    expect(done.state).toBe('completed');
    expect(done.job.attemptsMade).toBe(2);
    expect(creates()).toBe(1);
    expect(ordersFor('D-1').map((found) => found.id)).toEqual([done.job.returnvalue]);
  });
});
