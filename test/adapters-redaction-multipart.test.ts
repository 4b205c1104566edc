/**
 * The ofetch/ky adapters with a multipart upload whose `api_key` field a real
 * node:http server echoes bare. A small file, and one past 64 KiB (found in review: its fields' secrets were lost).
 */
import { FetchError } from 'ofetch';
import { HTTPError } from 'ky';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpError, createFetch, createManualClock, retry } from '../src/index.js';
import { surefetchOfetch } from '../src/ofetch.js';
import { surefetchKy } from '../src/ky.js';
import { startEchoSecretsServer } from './hostile/echo-secrets.js';
import type { HostileServer } from './hostile/server.js';
import { kyPlaces, ofetchPlaces } from './support/adapter-leaks.js';

const KEY = 'ak_live_MULTIPARTKEY123456';
let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
const sureFetch = () => createFetch({ middleware: [retry()], clock: createManualClock() });
function upload(fileBytes: number): FormData {
  const form = new FormData();
  form.set('file', new Blob([new Uint8Array(fileBytes).fill(0x61)], { type: 'image/png' }), 'cat.png');
  form.set('api_key', KEY);
  form.set('timestamp', '1764201600');
  return form;
}
const count = (places: Record<string, unknown>): Record<string, number> =>
  Object.fromEntries(Object.entries(places).map(([k, v]) => {
    const text = typeof v === 'string' ? v : (() => { try { return JSON.stringify(v) ?? String(v); } catch { return String(v); } })();
    return [k, text.split(KEY).length - 1];
  }));

describe.each([1024, 200 * 1024])('multipart upload with a %i-byte file', (size) => {
  it('HttpError: the echoed api_key is gone from message, server message, body and headers', async () => {
    server = await startEchoSecretsServer({ status: 400 });
    const error = (await sureFetch()(`${server.url}/v1/upload`, { method: 'POST', body: upload(size) }).catch((e: unknown) => e)) as HttpError;
    expect(error).toBeInstanceOf(HttpError);
    expect(error.serverMessage).toContain('1764201600');
    expect(JSON.stringify({ m: error.message, s: error.serverMessage, b: error.body, h: error.headers })).not.toContain(KEY);
  });

  it('surefetchOfetch: the echoed api_key is in no place of the FetchError', async () => {
    server = await startEchoSecretsServer({ status: 400 });
    const api = surefetchOfetch(sureFetch(), { baseURL: server.url });
    const error = (await api('/v1/upload', { method: 'POST', body: upload(size) }).catch((e: unknown) => e)) as FetchError;
    expect(error).toBeInstanceOf(FetchError);
    expect(JSON.stringify(error.data)).toContain('1764201600');
    const counts = count(ofetchPlaces(error));
    expect(Object.values(counts).every((n) => n === 0)).toBe(true);
  });

  it('surefetchKy: the echoed api_key is in no place of the HTTPError but the sent form', async () => {
    server = await startEchoSecretsServer({ status: 400 });
    const api = surefetchKy(sureFetch(), { prefixUrl: server.url, retry: 0 });
    const error = (await api.post('v1/upload', { body: upload(size) }).catch((e: unknown) => e)) as HTTPError;
    expect(error).toBeInstanceOf(HTTPError);
    const places = await kyPlaces(error);
    expect(String(places.body)).toContain('1764201600');
    delete places.requestBody; // the sent form itself, not an echo
    const counts = count(places);
    expect(Object.values(counts).every((n) => n === 0)).toBe(true);
  });
});
