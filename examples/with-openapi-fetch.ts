/**
 * openapi-fetch with surefetch as its fetch, through `forClient`: a refused request is
 * openapi-fetch's `{ error }` with the server's body, and per-call surefetch options ride on the
 * Request openapi-fetch builds. `requireScope` refuses a create whose scope got lost.
 */
import createClient from 'openapi-fetch';
import { IdempotencyError, createFetch, factsOf, forClient, idempotency, retry } from 'surefetch';
import { startFulfillment } from '../test/emulator/fulfillment.js';

// #region paths
interface paths {
  '/v1/contacts/create': {
    post: {
      requestBody: { content: { 'application/json': { email: string; name: string } } };
      responses: {
        201: { content: { 'application/json': { id: string; email: string } } };
        400: { content: { 'application/json': { message: string; errors: string[] } } };
      };
    };
  };
}
// #endregion paths

export async function main(): Promise<void> {
  const api = await startFulfillment();
  const baseUrl = api.url;
  const apiKey = api.apiKey;
  try {
    // #region setup
    const sureFetch = createFetch({ middleware: [idempotency({ requireScope: true }), retry()] });
    const client = createClient<paths>({ baseUrl, fetch: forClient(sureFetch), headers: { Authorization: `Bearer ${apiKey}` } });

    const { data, error, response } = await client.POST('/v1/contacts/create', {
      body: { email: 'not-an-email', name: '' },
      surefetch: { idempotencyScope: 'signup-7:contact' },
    });
    if (error !== undefined) console.log('refused:', response.status, error.errors, '| surefetch:', factsOf(response)?.verdict);
    // #endregion setup
    if (data !== undefined || error === undefined) throw new Error('expected a 400');

    // #region require-scope
    try {
      await client.POST('/v1/contacts/create', { body: { email: 'ada@example.com', name: 'Ada' } }); // no scope
    } catch (refused) {
      if (!(refused instanceof IdempotencyError) || refused.code !== 'SCOPE_REQUIRED') throw refused;
      console.log('not sent:', refused.code);
    }
    // #endregion require-scope
    if (api.records.contacts.length !== 0) throw new Error('nothing should have been created');
  } finally {
    await api.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
