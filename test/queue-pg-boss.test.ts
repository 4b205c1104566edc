import PgBoss from 'pg-boss';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFetch, idempotency, retry } from '../src/index.js';
import { pgBossHandler, type PgBossRescheduled } from '../src/pg-boss.js';
import { postgresStore } from '../src/postgres.js';
import { startFulfillment, type FulfillmentEmulator } from './emulator/fulfillment.js';
import { postgresForTests } from './support/services.js';
import { order, type OrderJob } from './support/order-job.js';

const postgres = await postgresForTests();
if (postgres.skipReason) console.warn(`pg-boss tests skipped: ${postgres.skipReason}`);
const url = postgres.url ?? '';

describe.skipIf(!postgres.url)('pg-boss workers with pgBossHandler', () => {
  let api: FulfillmentEmulator;
  let boss: PgBoss;
  let store: ReturnType<typeof postgresStore>;
  const schema = `sf_pgboss_${Date.now().toString(36)}`;
  const recordsTable = `sf_pgboss_records_${Date.now().toString(36)}`;

  beforeAll(async () => {
    api = await startFulfillment();
    boss = new PgBoss({ connectionString: url, schema, supervise: true });
    boss.on('error', () => undefined);
    await boss.start();
    store = postgresStore({ url, table: recordsTable });
  });
  afterEach(() => {
    api.faults.clear();
    api.requests.length = 0;
  });
  afterAll(async () => {
    await boss.stop({ graceful: false, wait: true });
    // A second instance that runs no maintenance, only to drop the test's schema.
    const cleanup = new PgBoss({ connectionString: url, schema, supervise: false, schedule: false, migrate: false });
    cleanup.on('error', () => undefined);
    await cleanup.start();
    await cleanup.getDb().executeSql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`, []);
    await cleanup.getDb().executeSql(`DROP TABLE IF EXISTS public.${recordsTable}`, []);
    await cleanup.stop({ graceful: false, wait: true });
    await store.close();
    await api.close();
  });

  const headers = () => ({ Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' });
  const creates = () => api.requests.filter((request) => request.path === '/v1/orders/create').length;
  const ordersFor = (ref: string) => api.records.orders.filter((found) => found.externalRef === ref);
  const createOrder = (sureFetch: ReturnType<typeof createFetch>, job: OrderJob) =>
    sureFetch(`${api.url}/v1/orders/create`, {
      method: 'POST', headers: headers(), body: JSON.stringify(order(job)), surefetch: { idempotencyScope: `order:${job.orderNumber}` },
    });

  /** A fresh queue (retries allowed) with a worker running `handler`. */
  async function queueWith(handler: (job: PgBoss.Job<OrderJob>) => Promise<unknown>, deadLetter?: string): Promise<string> {
    const name = `sf-${crypto.randomUUID()}`;
    await boss.createQueue(name, { name, retryLimit: 2, retryDelay: 0 });
    if (deadLetter !== undefined) await boss.createQueue(deadLetter, { name: deadLetter });
    await boss.work<OrderJob>(name, { pollingIntervalSeconds: 0.5 }, pgBossHandler(boss, name, handler, deadLetter === undefined ? {} : { deadLetter }));
    return name;
  }

  /** Polls until the job has ended, and returns it. */
  async function ended(queue: string, id: string): Promise<PgBoss.JobWithMetadata<unknown>> {
    for (let i = 0; i < 80; i += 1) {
      const job = await boss.getJobById(queue, id);
      if (job !== null && ['completed', 'cancelled', 'failed'].includes(job.state)) return job;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`job ${id} did not end within 20 s`);
  }

  it('a job answered 429 completes as rescheduled, and its copy runs at retryAt and creates the order', async () => {
    api.faults.script('POST /v1/orders/create', { kind: 'respond', status: 429, headers: { 'Retry-After': '2' } });
    const sureFetch = createFetch({ middleware: [idempotency({ store }), retry({ maxWaitMs: 500 })] });
    const queue = await queueWith(async (job) => ((await (await createOrder(sureFetch, job.data)).json()) as { id: string }));
    const id = await boss.send(queue, { orderNumber: 'PA-1', email: 'pa1@example.com' });
    const original = await ended(queue, id ?? '');
    const output = original.output as PgBossRescheduled;
    expect(original.state).toBe('completed');
    expect(output.code).toBe('RETRY_LATER');
    const copy = await ended(queue, output.rescheduledAs ?? '');
    expect(copy.state).toBe('completed');
    expect(copy.startedOn.getTime()).toBeGreaterThanOrEqual(copy.startAfter.getTime());
    expect(copy.startAfter.getTime()).toBe(output.retryAt);
    expect(ordersFor('PA-1')).toHaveLength(1);
  });

  it('a 400 is not retried: the job is cancelled and the reason goes to the dead-letter queue', async () => {
    const sureFetch = createFetch({ middleware: [retry()] });
    const deadLetter = `sf-dead-${crypto.randomUUID()}`;
    const queue = await queueWith(async (job) => {
      await sureFetch(`${api.url}/v1/orders/create`, { method: 'POST', headers: headers(), body: JSON.stringify({ ...order(job.data), campaignId: '' }) });
    }, deadLetter);
    const id = await boss.send(queue, { orderNumber: 'PB-1', email: 'pb1@example.com' });
    const job = await ended(queue, id ?? '');
    expect(job.state).toBe('cancelled');
    expect(job.retryCount).toBe(0);
    expect(creates()).toBe(1);
    const [reason] = await boss.fetch<{ jobId: string; code: string }>(deadLetter);
    expect(reason?.data).toMatchObject({ jobId: id });
    expect(reason?.data.code).toMatch(/^[A-Z_]+$/);
  });

  it('an ambiguous create is reported as AMBIGUOUS_OUTCOME with its client request id, and not retried', async () => {
    api.faults.script('POST /v1/orders/create', { kind: 'commit-then-500' });
    const sureFetch = createFetch({ middleware: [idempotency({ store }), retry()] });
    const deadLetter = `sf-dead-${crypto.randomUUID()}`;
    const queue = await queueWith((job) => createOrder(sureFetch, job.data), deadLetter);
    const id = await boss.send(queue, { orderNumber: 'PC-1', email: 'pc1@example.com' });
    const job = await ended(queue, id ?? '');
    expect(job.state).toBe('cancelled');
    const [reason] = await boss.fetch<{ code: string; message: string }>(deadLetter);
    const record = await store.get('order:PC-1');
    expect(reason?.data.code).toBe('AMBIGUOUS_OUTCOME');
    expect(reason?.data.message).toContain(record?.clientRequestId ?? 'no record');
    expect(creates()).toBe(1);
  });

  it('the business-key scope stays stable when the wait makes a new job: the copy replays the create', async () => {
    api.faults.script('GET /v1/orders/list', { kind: 'respond', status: 429, headers: { 'Retry-After': '1' } });
    const sureFetch = createFetch({ middleware: [idempotency({ store }), retry({ maxWaitMs: 200 })] });
    const queue = await queueWith(async (job) => {
      const created = (await (await createOrder(sureFetch, job.data)).json()) as { id: string };
      // A second step that the API answers 429: the job is rescheduled as a new job, after the create landed.
      await sureFetch(`${api.url}/v1/orders/list?campaignId=spring&email=${job.data.email}`, { headers: headers() });
      return created;
    });
    const id = await boss.send(queue, { orderNumber: 'PD-1', email: 'pd1@example.com' });
    const original = await ended(queue, id ?? '');
    const output = original.output as PgBossRescheduled;
    const copy = await ended(queue, output.rescheduledAs ?? '');
    expect(copy.id).not.toBe(id);
    expect(copy.state).toBe('completed');
    expect(creates()).toBe(1);
    expect(ordersFor('PD-1').map((found) => found.id)).toEqual([(copy.output as { id: string }).id]);
  });
});
