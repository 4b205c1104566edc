import { afterEach, describe, expect, it } from 'vitest';
import { HttpError, InvalidRequestError, createFetch, createManualClock, retry, type SurefetchEvent } from '../src/index.js';
import { startEchoSecretsServer } from './hostile/echo-secrets.js';
import type { HostileServer } from './hostile/server.js';

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A fetch whose every event is kept, and the call's outcome with those events. */
async function callRecorded(url: string, init: RequestInit = {}): Promise<{ error: unknown; events: SurefetchEvent[] }> {
  const events: SurefetchEvent[] = [];
  const sureFetch = createFetch({ middleware: [retry()], clock: createManualClock(), random: () => 0.5, onEvent: (event) => events.push(event) });
  const error = await sureFetch(url, init).catch((e: unknown) => e);
  return { error, events };
}

/** Everything an HttpError exposes as text, and every event, in one string. */
function exposed(error: unknown, events: readonly SurefetchEvent[]): string {
  const http = error as HttpError;
  return JSON.stringify({
    message: http.message,
    serverMessage: http.serverMessage,
    body: http.body,
    details: http.details,
    headers: http.headers,
    url: http.url,
    events,
  });
}

describe('secrets learned from the request are redacted wherever the server echoes them', () => {
  it('removes a query key echoed without its name from the error, its headers and the give-up event', async () => {
    server = await startEchoSecretsServer({ status: 500 });
    const { error, events } = await callRecorded(`${server.url}/v1/orders/list?key=AIzaSyA-1234567890&page=2`);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).attempts).toBe(4);
    expect(events.some((event) => event.type === 'give-up')).toBe(true);
    expect((error as HttpError).serverMessage).toContain('rejected credentials');
    expect((error as HttpError).headers.link).toContain('page=2');
    expect(exposed(error, events)).not.toContain('AIzaSyA-1234567890');
  });

  it.each([
    ['hapikey', 'hub-0123456789'],
    ['subscription-key', 'azure0123456789'],
    ['x-api-key', 'xak-0123456789'],
    ['app_key', 'dd-0123456789'],
    ['application_key', 'dd-app-0123456789'],
    ['jwt', 'eyJhbGciOiJIUzI1NiJ9.e30.sig'],
    ['authorization', 'Bearer-0123456789'],
    ['appid', 'owm0123456789'],
    ['passphrase', 'correct-horse'],
    ['pw', 'hunter22'],
  ])('removes a key under the query name %s from url, messages and events', async (name, value) => {
    server = await startEchoSecretsServer();
    const { error, events } = await callRecorded(`${server.url}/v1/orders?${name}=${encodeURIComponent(value)}&page=2`);
    expect((error as HttpError).url).toContain(`${name}=[redacted]`);
    expect(exposed(error, events)).not.toContain(value);
  });

  it('removes a key after a ; separator', async () => {
    server = await startEchoSecretsServer();
    const { error, events } = await callRecorded(`${server.url}/v1/orders?page=2;api_key=semi-0123456789`);
    expect(exposed(error, events)).not.toContain('semi-0123456789');
  });

  it('removes short credential header values (under 8 characters) where they are echoed', async () => {
    server = await startEchoSecretsServer();
    const { error, events } = await callRecorded(`${server.url}/v1/orders`, {
      headers: { 'x-api-key': 'k3y', authorization: 'Bearer t0k', 'x-shop-token': 'abc12' },
    });
    const text = exposed(error, events);
    expect(text).toContain('rejected credentials [redacted]');
    for (const secret of ['k3y', 't0k', 'abc12']) expect(text).not.toMatch(new RegExp(`\\b${secret}\\b`));
  });

  it('removes secrets a form body carried when the server echoes them', async () => {
    server = await startEchoSecretsServer();
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: 'app-1', client_secret: 'cs-0123456789' });
    const { error, events } = await callRecorded(`${server.url}/oauth/token`, { method: 'POST', body });
    expect((error as HttpError).serverMessage).toContain('client_credentials');
    expect(exposed(error, events)).not.toContain('cs-0123456789');
  });

  it('removes the api_key and signature fields of a multipart upload (a 200 KiB file beside them) when the server echoes them', async () => {
    server = await startEchoSecretsServer({ status: 400 });
    const form = new FormData();
    form.set('file', new Blob([new Uint8Array(200 * 1024).fill(0x61)], { type: 'image/png' }), 'cat.png');
    form.set('api_key', '839274650192837');
    form.set('timestamp', '1764201600');
    form.set('signature', 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3');
    const { error, events } = await callRecorded(`${server.url}/v1/image/upload`, { method: 'POST', body: form });
    expect((error as HttpError).serverMessage).toContain('1764201600');
    expect(exposed(error, events)).not.toContain('839274650192837');
    expect(exposed(error, events)).not.toContain('a94a8fe5ccb19ba61c4c0873d391e987982fbbd3');
  });

  it.each([
    ['with no content type (fetch sends it as text/plain)', {}],
    ['labelled application/json', { 'content-type': 'application/json' }],
    ['labelled text/plain with a leading space', { 'content-type': 'text/plain' }],
  ])('removes a password a JSON string body %s carried when the server echoes it', async (label, headers) => {
    server = await startEchoSecretsServer({ status: 400 });
    const body = `${label.includes('leading') ? ' ' : ''}${JSON.stringify({ email: 'ada@example.com', password: 'pw-0123456789' })}`;
    const { error, events } = await callRecorded(`${server.url}/v1/login`, { method: 'POST', body, headers });
    expect((error as HttpError).serverMessage).toContain('ada@example.com');
    expect(exposed(error, events)).not.toContain('pw-0123456789');
  });
});

describe('a URL with credentials in it', () => {
  it('is refused with a typed error that does not contain the password, and nothing is sent', async () => {
    server = await startEchoSecretsServer();
    const url = server.url.replace('http://', 'http://shop:pa55-w0rd-123@');
    const { error, events } = await callRecorded(`${url}/v1/orders`);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).code).toBe('INVALID_REQUEST');
    expect(String((error as Error).message)).toContain('credentials');
    expect(JSON.stringify({ message: (error as Error).message, cause: String((error as Error).cause), events })).not.toContain('pa55-w0rd-123');
    expect(server.requests).toHaveLength(0);
  });

  it('an unparsable URL or header is refused without echoing the secret it carried', async () => {
    const bad = await callRecorded('http://exa mple.test/v1?api_key=raw-0123456789');
    expect(bad.error).toBeInstanceOf(InvalidRequestError);
    expect((bad.error as Error).message).not.toContain('raw-0123456789');
    const header = await callRecorded('http://127.0.0.1:9/v1', { headers: { authorization: 'Bearer bad\u0000value-012345' } });
    expect(header.error).toBeInstanceOf(InvalidRequestError);
    expect((header.error as Error).message).not.toContain('value-012345');
  });
});
