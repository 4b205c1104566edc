/**
 * Hand surefetch to ky as its fetch, with ky's own retry off.
 */
import ky from 'ky';
import { createFetch, retry } from 'surefetch';
import { startFulfillment } from '../test/emulator/fulfillment.js';

export async function main(): Promise<void> {
  const api = await startFulfillment();
  try {
    const client = ky.create({ prefixUrl: api.url, retry: 0, fetch: createFetch({ middleware: [retry()] }), headers: { Authorization: `Bearer ${api.apiKey}` } });
    api.faults.script('POST /v1/contacts/create', { kind: 'reject-500' });
    try {
      await client.post('v1/contacts/create', { json: { email: 'ada@example.com', name: 'Ada' } }).json();
    } catch (error) {
      // A 500 on a create may have landed: surefetch does not re-send it blind.
      console.log('create not re-sent:', (error as Error).name);
    }
  } finally {
    await api.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
