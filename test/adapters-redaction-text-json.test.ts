/** A JSON string body with no content type through ky and ofetch, a real server echoing the password bare. */
import { FetchError } from 'ofetch';
import { HTTPError } from 'ky';
import { afterEach, expect, it } from 'vitest';
import { surefetchOfetch } from '../src/ofetch.js';
import { surefetchKy } from '../src/ky.js';
import type { HostileServer } from './hostile/server.js';
import { kyPlaces, leaks, none, ofetchPlaces, order, startBareEchoServer, sureFetch } from './support/adapter-leaks.js';

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

it('surefetchKy: a JSON string body with no content type leaves no echoed password in the HTTPError', async () => {
  server = await startBareEchoServer();
  const api = surefetchKy(sureFetch(), { prefixUrl: server.url, retry: 0 });
  const error = (await api.post('v1/signup', { body: JSON.stringify(order) }).catch((e: unknown) => e)) as HTTPError;
  expect(error).toBeInstanceOf(HTTPError);
  const places = await kyPlaces(error);
  expect(String(places.body)).toContain('rejected [redacted]');
  const counts = leaks(places);
  expect(counts).toEqual(none(counts));
});

it('surefetchOfetch: a JSON string body with no content type leaves no echoed password in the FetchError', async () => {
  server = await startBareEchoServer();
  const api = surefetchOfetch(sureFetch(), { baseURL: server.url });
  const error = (await api('/v1/signup', { method: 'POST', body: JSON.stringify(order) }).catch((e: unknown) => e)) as FetchError<{ detail: string; sentAs: string }>;
  expect(error).toBeInstanceOf(FetchError);
  expect(error.data?.detail).toBe('rejected [redacted]');
  const counts = leaks(ofetchPlaces(error));
  expect(counts).toEqual(none(counts));
});
