/**
 * ky with surefetch as its fetch, through `surefetchKy`: ky's retry and its 10 s default timeout
 * are off (a `timeout` you set becomes the call's deadline), a refused request is ky's own
 * `HTTPError`, and per-call options such as the idempotency scope type-check on ky's options.
 */
import { HTTPError } from 'ky';
import { createFetch, factsOf, idempotency, retry } from 'surefetch';
import { surefetchKy } from 'surefetch/ky';
import { startFulfillment } from '../test/emulator/fulfillment.js';

export async function main(): Promise<void> {
  const api = await startFulfillment();
  const prefixUrl = api.url;
  const apiKey = api.apiKey;
  try {
    // #region setup
    const sureFetch = createFetch({ middleware: [idempotency(), retry()] });
    const client = surefetchKy(sureFetch, { prefixUrl, headers: { Authorization: `Bearer ${apiKey}` } });

    const contact = await client
      .post('v1/contacts/create', { json: { email: 'ada@example.com', name: 'Ada' }, surefetch: { idempotencyScope: 'signup-42:contact' } })
      .json<{ id: string }>();
    // #endregion setup
    const again = await client
      .post('v1/contacts/create', { json: { email: 'ada@example.com', name: 'Ada' }, surefetch: { idempotencyScope: 'signup-42:contact' } })
      .json<{ id: string }>();
    console.log('created', contact.id, '| the same scope again replays', again.id, '| contacts on the server:', api.records.contacts.length);
    if (again.id !== contact.id || api.records.contacts.length !== 1) throw new Error('expected one contact');

    // #region native-error
    try {
      await client.post('v1/contacts/create', { json: { email: 'not-an-email', name: '' } });
    } catch (error) {
      if (!(error instanceof HTTPError)) throw error;
      const body = await error.response.json<{ errors: string[] }>();
      console.log('refused:', error.response.status, body.errors, '| attempts:', factsOf(error)?.attempts);
    }
    // #endregion native-error
  } finally {
    await api.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
