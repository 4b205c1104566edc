/**
 * In a job worker: a per-job deadline, graceful shutdown through an AbortSignal, and a long
 * server-directed wait handed back to the queue as `retryAt` instead of holding the worker.
 */
import { RetryLaterError, createFetch, retry } from 'surefetch';
import { startFulfillment } from '../test/emulator/fulfillment.js';

interface Job {
  readonly id: string;
  readonly email: string;
}

export async function main(): Promise<void> {
  const api = await startFulfillment();
  const shutdown = new AbortController();
  const sureFetch = createFetch({ middleware: [retry({ maxWaitMs: 5_000 })] });
  const rescheduled: Array<{ job: string; at: string }> = [];

  async function handle(job: Job): Promise<void> {
    try {
      const response = await sureFetch(`${api.url}/v1/contacts/list?email=${encodeURIComponent(job.email)}`, {
        headers: { Authorization: `Bearer ${api.apiKey}` },
        signal: shutdown.signal,
        surefetch: { deadlineMs: 20_000, operation: `job ${job.id}` },
      });
      console.log(job.id, 'done:', response.status);
    } catch (error) {
      if (error instanceof RetryLaterError) {
        // With BullMQ or pg-boss, bullmqProcessor / pgBossHandler do this for you (bullmq-worker.ts, pg-boss-worker.ts).
        rescheduled.push({ job: job.id, at: new Date(error.retryAt).toISOString() });
        return;
      }
      throw error;
    }
  }

  try {
    api.faults.script('GET /v1/contacts/list', { kind: 'respond', status: 429, headers: { 'Retry-After': '600' } });
    await handle({ id: 'job-1', email: 'ada@example.com' });
    await handle({ id: 'job-2', email: 'grace@example.com' });
    console.log('rescheduled:', rescheduled);
  } finally {
    shutdown.abort();
    await api.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
