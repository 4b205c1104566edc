import axios, { AxiosError } from 'axios';
import { HTTPError } from 'ky';
import { FetchError } from 'ofetch';
import createClient from 'openapi-fetch';
import { describe, expect, it } from 'vitest';
import { RetryLaterError, createFetch, createManualClock, factsOf, forClient, retry, retryAtOf } from '../src/index.js';
import { surefetchKy } from '../src/ky.js';
import { surefetchOfetch } from '../src/ofetch.js';
import { fulfillmentForSuite } from './support/fulfillment-for-suite.js';

const api = fulfillmentForSuite();

const invalidOrder = { campaignId: '', shipTo: { name: 'Ada' }, products: [] };
const authorization = () => ({ Authorization: `Bearer ${api.apiKey}` });
const creates = () => api.requests.filter((request) => request.path === '/v1/orders/create').length;
const sureFetch = (clock = createManualClock()) => createFetch({ middleware: [retry({ maxWaitMs: 60_000 })], clock });

interface Paths {
  '/v1/orders/create': {
    post: {
      requestBody: { content: { 'application/json': unknown } };
      responses: { 201: { content: { 'application/json': { id: string } } }; 400: { content: { 'application/json': { message: string; errors: string[] } } } };
    };
  };
}

describe('a 400 reaches the caller in the client\'s native error shape', () => {
  it('ofetch: FetchError with the server\'s body in data, facts from the error', async () => {
    const client = surefetchOfetch(sureFetch(), { baseURL: api.url, headers: authorization() });
    const error = await client('/v1/orders/create', { method: 'POST', body: invalidOrder, surefetch: { clientRequestId: 'cr-ofetch' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchError);
    const fetchError = error as FetchError<{ errors: string[] }>;
    expect(fetchError.status).toBe(400);
    expect(fetchError.data?.errors).toContain('campaignId: Must not be empty');
    expect(factsOf(error)).toMatchObject({ status: 400, verdict: 'terminal', sent: 'delivered', attempts: 1, clientRequestId: 'cr-ofetch' });
  });

  it('ky: HTTPError whose response holds the server\'s body, facts from the error', async () => {
    const client = surefetchKy(sureFetch(), { prefixUrl: api.url, headers: authorization() });
    const error = await client.post('v1/orders/create', { json: invalidOrder, surefetch: { clientRequestId: 'cr-ky' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HTTPError);
    const response = (error as HTTPError).response;
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: string[] }).errors).toContain('campaignId: Must not be empty');
    expect(factsOf(error)).toMatchObject({ verdict: 'terminal', sent: 'delivered', attempts: 1, clientRequestId: 'cr-ky' });
  });

  it('openapi-fetch: { error } with the server\'s body, per-call options carried on its Request', async () => {
    const client = createClient<Paths>({ baseUrl: api.url, fetch: forClient(sureFetch()), headers: authorization() });
    const { data, error, response } = await client.POST('/v1/orders/create', { body: invalidOrder, surefetch: { clientRequestId: 'cr-openapi' } });
    expect(data).toBeUndefined();
    expect(error?.errors).toContain('campaignId: Must not be empty');
    expect(factsOf(response)).toMatchObject({ status: 400, verdict: 'terminal', attempts: 1, clientRequestId: 'cr-openapi' });
  });

  it('axios (fetch adapter): AxiosError with response.status and data, facts from its headers', async () => {
    const client = axios.create({ baseURL: api.url, adapter: 'fetch', env: { fetch: forClient(sureFetch()) }, headers: authorization() });
    const error = await client.post('/v1/orders/create', invalidOrder, { fetchOptions: { surefetch: { clientRequestId: 'cr-axios' } } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AxiosError);
    const { response } = error as AxiosError<{ errors: string[] }>;
    expect(response?.status).toBe(400);
    expect(response?.data.errors).toContain('campaignId: Must not be empty');
    expect(factsOf(error)).toMatchObject({ status: 400, verdict: 'terminal', sent: 'delivered', attempts: 1, clientRequestId: 'cr-axios' });
  });

  it('counts the attempts surefetch made before the answer the client sees', async () => {
    api.faults.script('GET /v1/orders/list', { kind: 'reject-500' }, { kind: 'reject-500' });
    const client = surefetchOfetch(sureFetch(), { baseURL: api.url, headers: authorization() });
    const raw = await client.raw('/v1/orders/list', { query: { campaignId: 'c', email: 'a@b.c' } });
    expect(raw.status).toBe(200);
    expect(factsOf(raw)).toMatchObject({ verdict: 'success', attempts: 3 });
  });
});

describe('retryAtOf sees through the clients\' errors', () => {
  it('ofetch wraps a RetryLaterError in FetchError; retryAtOf finds the server\'s time', async () => {
    const clock = createManualClock(1_000_000);
    api.faults.script('GET /v1/orders/list', { kind: 'respond', status: 429, headers: { 'Retry-After': '3600' } });
    const client = surefetchOfetch(sureFetch(clock), { baseURL: api.url, headers: authorization() });
    const error = await client('/v1/orders/list', { query: { campaignId: 'c', email: 'a@b.c' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchError);
    expect((error as FetchError).cause).toBeInstanceOf(RetryLaterError);
    expect(retryAtOf(error)).toBe(1_000_000 + 3_600_000);
  });

  it('a 429 answer returned to ky after the waits ran out carries retryAt in its facts', async () => {
    const clock = createManualClock(2_000_000);
    api.faults.script('GET /v1/orders/list', { kind: 'respond', status: 429, headers: { 'Retry-After': '30' } });
    const fetchForKy = createFetch({ middleware: [retry({ maxWaits: 0 })], clock });
    const error = await surefetchKy(fetchForKy, { prefixUrl: api.url, headers: authorization() })
      .get('v1/orders/list?campaignId=c&email=a@b.c')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HTTPError);
    expect(retryAtOf(error)).toBe(2_000_000 + 30_000);
  });

  it('axios wraps what the fetch threw; retryAtOf follows its cause', async () => {
    const clock = createManualClock(3_000_000);
    api.faults.script('GET /v1/orders/list', { kind: 'respond', status: 429, headers: { 'Retry-After': '7200' } });
    const client = axios.create({ baseURL: api.url, adapter: 'fetch', env: { fetch: forClient(sureFetch(clock)) }, headers: authorization() });
    const error = await client.get('/v1/orders/list', { params: { campaignId: 'c', email: 'a@b.c' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AxiosError);
    expect(retryAtOf(error)).toBe(3_000_000 + 7_200_000);
  });

  it('is undefined for an error that says nothing about when', () => {
    expect(retryAtOf(new Error('x', { cause: new Error('y') }))).toBeUndefined();
    expect(retryAtOf('not an error')).toBeUndefined();
  });
});

describe('the client\'s own timeout is the call\'s deadline', () => {
  it('ky: a timeout shorter than the server\'s wait ends at once in RetryLaterError, not ky\'s TimeoutError', async () => {
    const clock = createManualClock();
    api.faults.script('GET /v1/orders/list', { kind: 'respond', status: 429, headers: { 'Retry-After': '5' } });
    const client = surefetchKy(sureFetch(clock), { prefixUrl: api.url, headers: authorization(), timeout: 2_000 });
    const error = await client.get('v1/orders/list?campaignId=c&email=a@b.c').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryLaterError);
    expect((error as RetryLaterError).reason).toBe('passes the call deadline');
    expect(clock.sleeps).toEqual([]);
  });

  it('ofetch: its timeout bounds surefetch\'s waits the same way', async () => {
    const clock = createManualClock();
    api.faults.script('GET /v1/orders/list', { kind: 'respond', status: 429, headers: { 'Retry-After': '5' } });
    const client = surefetchOfetch(sureFetch(clock), { baseURL: api.url, headers: authorization(), timeout: 2_000 });
    const error = await client('/v1/orders/list', { query: { campaignId: 'c', email: 'a@b.c' } }).catch((e: unknown) => e);
    expect((error as FetchError).cause).toBeInstanceOf(RetryLaterError);
    expect(clock.sleeps).toEqual([]);
  });

  it('ky through surefetchKy has no timeout of its own: a wait within maxWaitMs is taken', async () => {
    const clock = createManualClock();
    api.faults.script('GET /v1/orders/list', { kind: 'respond', status: 429, headers: { 'Retry-After': '15' } });
    const client = surefetchKy(sureFetch(clock), { prefixUrl: api.url, headers: authorization() });
    expect(await client.get('v1/orders/list?campaignId=c&email=a@b.c').json()).toEqual([]);
    expect(clock.sleeps).toEqual([15_000]);
  });
});

describe('throw mode stays the default for direct calls', () => {
  it('the same chain throws HttpError when called directly, and returns the answer through forClient', async () => {
    const direct = sureFetch();
    const init = { method: 'POST', headers: { ...authorization(), 'Content-Type': 'application/json' }, body: JSON.stringify(invalidOrder) };
    await expect(direct(`${api.url}/v1/orders/create`, init)).rejects.toMatchObject({ name: 'HttpError', status: 400 });
    const answer = await forClient(direct)(`${api.url}/v1/orders/create`, init);
    expect(answer.status).toBe(400);
    expect(creates()).toBe(2);
  });
});
