import ky from 'ky';
import { ofetch } from 'ofetch';
import createClient, { type Middleware as OpenapiMiddleware } from 'openapi-fetch';
import { Agent, fetch as undiciFetch } from 'undici';
import { describe, expect, it } from 'vitest';
import { IdempotencyError, createFetch, forClient, idempotency, memoryStore, retry } from '../src/index.js';
import { surefetchKy } from '../src/ky.js';
import { surefetchOfetch } from '../src/ofetch.js';
import { fulfillmentForSuite } from './support/fulfillment-for-suite.js';

const api = fulfillmentForSuite();

const contact = (email: string) => ({ email, name: 'Ada' });
const authorization = () => ({ Authorization: `Bearer ${api.apiKey}` });
const creates = () => api.requests.filter((request) => request.path === '/v1/contacts/create').length;

interface Paths {
  '/v1/contacts/create': {
    post: {
      requestBody: { content: { 'application/json': { email: string; name: string } } };
      responses: { 201: { content: { 'application/json': { id: string } } } };
    };
  };
}

/** A chain whose store shows which scope each create was recorded under. */
function scoped(requireScope = false) {
  const store = memoryStore();
  return { store, sureFetch: createFetch({ middleware: [idempotency({ store, requireScope }), retry()] }) };
}

describe('per-call options take effect through the clients', () => {
  it('ofetch: surefetch.idempotencyScope type-checks and the create is recorded under it', async () => {
    const { store, sureFetch } = scoped();
    const client = surefetchOfetch(sureFetch, { baseURL: api.url, headers: authorization() });
    await client('/v1/contacts/create', { method: 'POST', body: contact('o@example.com'), surefetch: { idempotencyScope: 'job-o:contact' } });
    expect((await store.get('job-o:contact'))?.state).toBe('succeeded');
  });

  it('ky: surefetch.idempotencyScope type-checks and a re-run replays instead of creating again', async () => {
    const { sureFetch } = scoped();
    const client = surefetchKy(sureFetch, { prefixUrl: api.url, headers: authorization() });
    const send = () => client.post('v1/contacts/create', { json: contact('k@example.com'), surefetch: { idempotencyScope: 'job-k:contact' } }).json<{ id: string }>();
    const first = await send();
    const rerun = await send();
    expect(rerun.id).toBe(first.id);
    expect(creates()).toBe(1);
  });

  it('ky and ofetch set up by hand (forClient as their fetch) pass the typed option on', async () => {
    const { store, sureFetch } = scoped();
    const fetch = forClient(sureFetch);
    await ky.post(`${api.url}/v1/contacts/create`, { json: contact('k2@example.com'), fetch, retry: 0, headers: authorization(), surefetch: { idempotencyScope: 'ky-plain' } });
    const ofetchClient = ofetch.create({ retry: 0, headers: authorization() }, { fetch });
    await ofetchClient(`${api.url}/v1/contacts/create`, { method: 'POST', body: contact('o2@example.com'), surefetch: { idempotencyScope: 'ofetch-plain' } });
    expect((await store.get('ky-plain'))?.state).toBe('succeeded');
    expect((await store.get('ofetch-plain'))?.state).toBe('succeeded');
  });

  it('openapi-fetch: a per-call surefetch option reaches surefetch on the Request it builds', async () => {
    const { store, sureFetch } = scoped();
    const client = createClient<Paths>({ baseUrl: api.url, fetch: forClient(sureFetch), headers: authorization() });
    const { data } = await client.POST('/v1/contacts/create', { body: contact('p@example.com'), surefetch: { idempotencyScope: 'job-p:contact' } });
    expect(data?.id).toBeTypeOf('string');
    expect((await store.get('job-p:contact'))?.clientRequestId).toBeTypeOf('string');
  });
});

describe('idempotency({ requireScope: true })', () => {
  it('refuses a create whose scope a client middleware dropped: typed error, nothing sent', async () => {
    const { sureFetch } = scoped(true);
    // A middleware that rebuilds the Request (as some auth middleware do) loses the per-call options.
    const rebuild: OpenapiMiddleware = { onRequest: ({ request }) => new Request(request) };
    const client = createClient<Paths>({ baseUrl: api.url, fetch: forClient(sureFetch), headers: authorization() });
    client.use(rebuild);
    const error = await client.POST('/v1/contacts/create', { body: contact('q@example.com'), surefetch: { idempotencyScope: 'job-q:contact' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyError);
    expect((error as IdempotencyError).code).toBe('SCOPE_REQUIRED');
    expect(creates()).toBe(0);
  });

  it('lets reads and creates with a scope through', async () => {
    const { sureFetch } = scoped(true);
    const headers = { ...authorization(), 'Content-Type': 'application/json' };
    expect((await sureFetch(`${api.url}/v1/contacts/list?email=x@example.com`, { headers })).status).toBe(200);
    const created = await sureFetch(`${api.url}/v1/contacts/create`, { method: 'POST', headers, body: JSON.stringify(contact('r@example.com')), surefetch: { idempotencyScope: 'r' } });
    expect(created.status).toBe(201);
    expect(creates()).toBe(1);
  });

  it('is off by default: a create without a scope is sent', async () => {
    const { sureFetch } = scoped(false);
    const headers = { ...authorization(), 'Content-Type': 'application/json' };
    await sureFetch(`${api.url}/v1/contacts/create`, { method: 'POST', headers, body: JSON.stringify(contact('s@example.com')) });
    expect(creates()).toBe(1);
  });
});

describe('undici', () => {
  it('wraps undici\'s own fetch, and the per-call dispatcher is the one that sends', async () => {
    let dispatched = 0;
    const agent = new Agent();
    const dispatcher = agent.compose((dispatch) => (options, handler) => {
      dispatched += 1;
      return dispatch(options, handler);
    });
    try {
      const sureFetch = createFetch({ fetch: undiciFetch, middleware: [retry()] });
      const response = await sureFetch(`${api.url}/v1/contacts/list?email=u@example.com`, { headers: authorization(), dispatcher });
      expect(await response.json()).toEqual([]);
      expect(dispatched).toBe(1);
    } finally {
      await agent.close();
    }
  });
});
