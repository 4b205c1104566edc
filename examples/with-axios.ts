/**
 * axios (its fetch adapter) with surefetch as the fetch, through `forClient`: a refused request is
 * axios's own error with `response.status` and `response.data`; surefetch's facts travel in
 * `surefetch-*` response headers, which `factsOf` reads from the error.
 */
import axios, { AxiosError } from 'axios';
import { createFetch, factsOf, forClient, retry } from 'surefetch';
import { startFulfillment } from '../test/emulator/fulfillment.js';

export async function main(): Promise<void> {
  const api = await startFulfillment();
  const baseURL = api.url;
  const apiKey = api.apiKey;
  try {
    // #region setup
    const sureFetch = createFetch({ middleware: [retry()] });
    const client = axios.create({
      baseURL,
      adapter: 'fetch',
      env: { fetch: forClient(sureFetch) },
      headers: { Authorization: `Bearer ${apiKey}` },
    });

    try {
      await client.post('/v1/contacts/create', { email: 'not-an-email' }, { fetchOptions: { surefetch: { deadlineMs: 10_000 } } });
    } catch (error) {
      if (!(error instanceof AxiosError)) throw error;
      console.log('refused:', error.response?.status, error.response?.data, '| surefetch:', factsOf(error)?.verdict);
    }
    // #endregion setup
  } finally {
    await api.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
