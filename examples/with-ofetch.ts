/**
 * Hand surefetch to ofetch as its fetch. Turn ofetch's own retry off (surefetch owns retries:
 * ofetch's ignores Retry-After and breaks with its `timeout`); ofetch still parses bodies.
 */
import { ofetch } from 'ofetch';
import { createFetch, retry } from 'surefetch';
import { startFulfillment } from '../test/emulator/fulfillment.js';

export async function main(): Promise<void> {
  const api = await startFulfillment();
  try {
    const client = ofetch.create(
      { baseURL: api.url, retry: 0, headers: { Authorization: `Bearer ${api.apiKey}` } },
      { fetch: createFetch({ middleware: [retry()] }) },
    );
    api.faults.script('GET /v1/contacts/list', { kind: 'respond', status: 429, headers: { 'RateLimit-Reset': '1' } });
    const contacts = await client('/v1/contacts/list', { query: { email: 'ada@example.com' } });
    console.log('contacts after one 1 s wait:', contacts);
  } finally {
    await api.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
