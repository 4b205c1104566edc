/**
 * ofetch with surefetch as its fetch, through `surefetchOfetch`: ofetch's own retry is off
 * (surefetch owns retries and honours Retry-After), a refused request is ofetch's own
 * `FetchError` with the server's body in `data`, and surefetch's facts stay readable.
 */
import { FetchError } from 'ofetch';
import { createFetch, factsOf, retry } from 'surefetch';
import { surefetchOfetch } from 'surefetch/ofetch';
import { startFulfillment } from '../test/emulator/fulfillment.js';

export async function main(): Promise<void> {
  const api = await startFulfillment();
  const baseURL = api.url;
  const apiKey = api.apiKey;
  try {
    // #region setup
    const sureFetch = createFetch({ middleware: [retry({ maxWaitMs: 30_000 })] });
    const client = surefetchOfetch(sureFetch, { baseURL, headers: { Authorization: `Bearer ${apiKey}` } });
    // #endregion setup

    api.faults.script('GET /v1/contacts/list', { kind: 'respond', status: 429, headers: { 'RateLimit-Reset': '1' } });
    const contacts = await client('/v1/contacts/list', { query: { email: 'ada@example.com' } });
    console.log('contacts after one 1 s wait:', contacts);

    // #region native-error
    try {
      await client('/v1/orders/create', { method: 'POST', body: { campaignId: '' }, surefetch: { operation: 'create order' } });
    } catch (error) {
      if (!(error instanceof FetchError)) throw error;
      const facts = factsOf(error); // { verdict: 'terminal', sent: 'delivered', attempts: 1, clientRequestId, ... }
      console.log('refused:', error.status, error.data, '| surefetch:', facts?.verdict, facts?.clientRequestId);
    }
    // #endregion native-error
  } finally {
    await api.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
