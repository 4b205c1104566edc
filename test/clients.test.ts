import ky from 'ky';
import { ofetch, FetchError } from 'ofetch';
import createClient from 'openapi-fetch';
import { describe, expect, it } from 'vitest';
import { HttpError, createFetch, createManualClock, retry } from '../src/index.js';
import { fulfillmentForSuite } from './support/fulfillment-for-suite.js';

const api = fulfillmentForSuite();

const listPath = '/v1/orders/list?campaignId=c&email=a@b.c';
const sureFetch = () => createFetch({ middleware: [retry()], clock: createManualClock() });
const listCalls = () => api.requests.filter((request) => request.path === '/v1/orders/list').length;

describe('as the fetch of other clients', () => {
  it('serves ofetch (with its own retry off): surefetch retries, ofetch parses', async () => {
    api.faults.script('GET /v1/orders/list', { kind: 'reject-500' });
    const client = ofetch.create({ baseURL: api.url, retry: 0, headers: { Authorization: `Bearer ${api.apiKey}` } }, { fetch: sureFetch() });
    expect(await client(listPath)).toEqual([]);
    expect(listCalls()).toBe(2);
  });

  it('surfaces the normalized error as the cause of ofetch\'s FetchError', async () => {
    const client = ofetch.create({ baseURL: api.url, retry: 0, headers: { Authorization: 'Bearer nope' } }, { fetch: sureFetch() });
    const error = await client(listPath).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchError);
    expect((error as FetchError).cause).toBeInstanceOf(HttpError);
    expect(((error as FetchError).cause as HttpError).status).toBe(401);
  });

  it('serves ky (with its own retry off)', async () => {
    api.faults.script('GET /v1/orders/list', { kind: 'reject-500' });
    const client = ky.create({ prefixUrl: api.url, retry: 0, fetch: sureFetch(), headers: { Authorization: `Bearer ${api.apiKey}` } });
    expect(await client.get(listPath.slice(1)).json()).toEqual([]);
    expect(listCalls()).toBe(2);
  });

  it('serves ky with a JSON body, replaying it on a not-sent retry', async () => {
    const client = ky.create({ prefixUrl: api.url, retry: 0, fetch: sureFetch(), headers: { Authorization: `Bearer ${api.apiKey}` } });
    const created = await client
      .post('v1/contacts/create', { json: { email: 'ky@example.com', name: 'Ky' } })
      .json<{ email: string }>();
    expect(created.email).toBe('ky@example.com');
  });

  it('serves openapi-fetch', async () => {
    api.faults.script('GET /v1/orders/list', { kind: 'reject-500' });
    interface Paths {
      '/v1/orders/list': { get: { parameters: { query: { campaignId: string; email: string } }; responses: { 200: { content: { 'application/json': unknown[] } } } } };
    }
    const client = createClient<Paths>({ baseUrl: api.url, fetch: sureFetch(), headers: { Authorization: `Bearer ${api.apiKey}` } });
    const { data } = await client.GET('/v1/orders/list', { params: { query: { campaignId: 'c', email: 'a@b.c' } } });
    expect(data).toEqual([]);
    expect(listCalls()).toBe(2);
  });
});
