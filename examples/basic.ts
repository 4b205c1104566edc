/**
 * Wrap the global fetch: retries with backoff, server-directed waits, typed errors.
 * Runs against the bundled emulation of the fulfillment API.
 */
import { HttpError, createFetch, retry } from 'surefetch';
import { startFulfillment } from '../test/emulator/fulfillment.js';

export async function main(): Promise<void> {
  const api = await startFulfillment();
  try {
    const sureFetch = createFetch({
      middleware: [retry({ maxAttempts: 4, maxWaitMs: 30_000 })],
      // This API treats a repeated cancel as harmless, so let surefetch retry it like a GET.
      routes: [{ method: 'POST', path: '/v1/orders/cancel', idempotent: true }],
    });
    const headers = { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' };

    api.faults.script('GET /v1/orders/list', { kind: 'reject-500' });
    const list = await sureFetch(`${api.url}/v1/orders/list?campaignId=spring&email=ada@example.com`, { headers });
    console.log('list:', list.status, await list.json());

    try {
      await sureFetch(`${api.url}/v1/orders/create`, { method: 'POST', headers, body: JSON.stringify({ campaignId: 'spring', shipTo: {}, products: [] }) });
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      console.log('create rejected:', error.code, error.details);
    }
  } finally {
    await api.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
