/**
 * A pg-boss worker that creates orders exactly once. `pgBossHandler` speaks surefetch's errors in
 * pg-boss's language: a wait becomes a copy of the job that starts at the server's time (a new
 * job, so the idempotency scope is the order number from the data, never the job id); a 400
 * cancels the job (no retries) and sends the reason to a dead-letter queue.
 * Needs PostgreSQL (POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/test).
 */
import PgBoss from 'pg-boss';
import { byRoute, createFetch, fulfillmentOrders, idempotency, retry } from 'surefetch';
import { pgBossHandler, type PgBossRescheduled } from 'surefetch/pg-boss';
import { postgresStore } from 'surefetch/postgres';
import { startFulfillment } from '../test/emulator/fulfillment.js';

interface OrderJob {
  readonly orderNumber: string;
  readonly email: string;
}

export async function main(): Promise<void> {
  const api = await startFulfillment();
  const url = process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
  const headers = { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' };
  const queue = `orders-example-${Date.now()}`;
  const boss = new PgBoss({ connectionString: url, schema: 'surefetch_examples' });
  boss.on('error', (error) => console.error('pg-boss:', error.message));
  const store = postgresStore({ url, table: 'surefetch_example_records' });
  await boss.start();
  try {
    await boss.createQueue(queue, { name: queue, retryLimit: 3 });
    await boss.createQueue(`${queue}-failed`, { name: `${queue}-failed` });

    // #region worker
    const sureFetch = createFetch({
      middleware: [idempotency({ store, existenceCheck: byRoute(fulfillmentOrders()) }), retry({ maxWaitMs: 500 })],
    });
    await boss.work<OrderJob>(queue, { pollingIntervalSeconds: 0.5 }, pgBossHandler(boss, queue, async (job) => {
      const response = await sureFetch(`${api.url}/v1/orders/create`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          campaignId: 'spring',
          externalRef: job.data.orderNumber,
          shipTo: { name: 'Ada', email: job.data.email, address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' },
          products: [{ sku: 'SKU-1', quantity: 1 }],
        }),
        surefetch: { idempotencyScope: `order:${job.data.orderNumber}`, deadlineMs: 20_000 },
      });
      return (await response.json()) as { id: string };
    }, { deadLetter: `${queue}-failed` }));
    // #endregion worker

    api.faults.script('POST /v1/orders/create', { kind: 'respond', status: 429, headers: { 'Retry-After': '1' } });
    const first = await boss.send(queue, { orderNumber: `P-${Date.now()}`, email: 'ada@example.com' });
    await boss.send(queue, { orderNumber: `P-bad-${Date.now()}`, email: 'not-an-email' });
    const ended = async (id: string): Promise<PgBoss.JobWithMetadata<unknown>> => {
      for (let i = 0; i < 60; i += 1) {
        const job = await boss.getJobById(queue, id);
        if (job !== null && ['completed', 'cancelled', 'failed'].includes(job.state)) return job;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      throw new Error(`job ${id} did not end`);
    };
    const original = await ended(first ?? '');
    const { rescheduledAs, retryAt } = original.output as PgBossRescheduled;
    const copy = await ended(rescheduledAs ?? '');
    console.log(`job ${original.id}: rescheduled to ${new Date(retryAt).toISOString()} as ${copy.id}: ${copy.state}`, (copy.output as { id: string }).id);
    const [reason] = await boss.fetch<{ code: string; message: string }>(`${queue}-failed`);
    console.log('dead letter:', reason?.data.code);
    if (api.records.orders.length !== 1 || copy.state !== 'completed') throw new Error('expected exactly one order');
  } finally {
    await boss.deleteQueue(queue).catch(() => undefined);
    await boss.deleteQueue(`${queue}-failed`).catch(() => undefined);
    await boss.stop({ graceful: false, wait: true });
    await store.close();
    await api.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
