/**
 * Servers that echo a request's credential in a form redaction has to work for: the bare value
 * of a credential sent inside a larger header (a Basic username, an auth-param, a quoted
 * cookie), an escaped copy (JSON `\/` and `\u002b`, HTML entities, lower-case `%2f`, form-encoded), and a copy
 * cut off where surefetch stops reading the body.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, BodyTimeoutError, HttpError, createFetch, createManualClock, retry, type SurefetchEvent } from '../src/index.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';
import { within } from './hostile/within.js';

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A fetch whose every event is kept, and the call's outcome with those events. */
async function callRecorded(url: string, init: RequestInit = {}, bodyTimeoutMs?: number): Promise<{ error: HttpError; events: SurefetchEvent[] }> {
  const events: SurefetchEvent[] = [];
  const sureFetch = createFetch({
    middleware: [retry()],
    clock: createManualClock(),
    random: () => 0.5,
    onEvent: (event) => events.push(event),
    ...(bodyTimeoutMs === undefined ? {} : { bodyTimeoutMs }),
  });
  const error = await within(sureFetch(url, init), 5000).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(HttpError);
  return { error: error as HttpError, events };
}

/** Everything an HttpError exposes as text, and every event, in one string. */
function exposed(error: HttpError, events: readonly SurefetchEvent[]): string {
  const { message, serverMessage, body, details, headers, url } = error;
  return JSON.stringify({ message, serverMessage, body, details, headers, url, events });
}

/** A server whose every answer is `status` with `body` and an `x-debug-echo: header` header. */
function startQuotingServer(status: number, contentType: string, body: string, header = ''): Promise<HostileServer> {
  return startHostileServer((_seen, response) => {
    response.writeHead(status, { 'content-type': contentType, 'x-debug-echo': header });
    response.end(body);
  });
}

describe('a credential sent inside a larger header value is redacted where the server echoes it bare', () => {
  const key = 'sk_live_51HxQq2eZvKYlo2C0abcdef';
  it.each([
    ['a Basic username with an empty password (Stripe `-u key:`)', { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` }],
    ['an `Authorization: key=` value (FCM legacy)', { authorization: `key=${key}` }],
    ['a Rails `Token token="…"`', { authorization: `Token token="${key}"` }],
    ['a quoted cookie value', { cookie: `theme=dark; sid="${key}"` }],
    ['the Signature of an AWS SigV4 authorization', { authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${key}` }],
  ])('removes %s from the message, body, details, headers and give-up event', async (_name, headers) => {
    const body = JSON.stringify({ message: `Invalid API key provided: ${key}`, errors: [`credential: ${key} is not valid`] });
    server = await startQuotingServer(401, 'application/json', body, `key ${key}`);
    const { error, events } = await callRecorded(`${server.url}/v1/charges`, { headers });
    expect(server.requests[0]?.headers).toMatchObject(Object.fromEntries(Object.entries(headers)));
    expect(error).toBeInstanceOf(AuthError);
    expect(error.serverMessage).toBe('Invalid API key provided: [redacted]');
    expect(error.details).toEqual([{ field: 'credential', message: '[redacted] is not valid' }]);
    expect(error.headers['x-debug-echo']).toBe('key [redacted]');
    expect(events.find((event) => event.type === 'give-up')).toMatchObject({ message: error.message });
    expect(exposed(error, events)).not.toContain(key);
  });
});

describe('a credential the server echoes escaped is redacted', () => {
  const key = 'Zm9vYmFy/K7MDENG+bPxRfiCYEXAMPLEabcd==';
  const lowerPercent = encodeURIComponent(key).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
  it.each([
    ['in JSON with \\/ (PHP json_encode)', 'application/json', JSON.stringify({ message: `Invalid key ${key}` }).replaceAll('/', '\\/'), 'Invalid key [redacted]'],
    ['in JSON with \\u002b', 'application/json', JSON.stringify({ message: `Invalid key ${key}` }).replaceAll('+', '\\u002b'), 'Invalid key [redacted]'],
    ['in HTML with &#43; (Go html/template)', 'text/html', `<html><title>Key ${key.replaceAll('+', '&#43;')} is not valid</title></html>`, 'Key [redacted] is not valid'],
    ['in HTML with &#x2F;', 'text/html', `<html><title>Invalid key ${key.replaceAll('/', '&#x2F;')}</title></html>`, 'Invalid key [redacted]'],
    ['in lower-case percent-encoding', 'text/plain', `bad credential ${lowerPercent}`, 'bad credential [redacted]'],
  ])('%s, in the body, the message, a response header and the events', async (_name, contentType, body, serverMessage) => {
    server = await startQuotingServer(403, contentType, body, `/v1/x?credential=${lowerPercent}`);
    const { error, events } = await callRecorded(`${server.url}/v1/x`, { headers: { 'x-api-key': key } });
    expect(error.status).toBe(403);
    expect(error.serverMessage).toBe(serverMessage);
    expect(error.body).toContain('[redacted]');
    expect(error.headers['x-debug-echo']).toBe('/v1/x?credential=[redacted]');
    const text = exposed(error, events);
    for (const form of [key, body.slice(body.indexOf(' ') + 1, body.indexOf(' ') + 1 + 12)]) expect(text).not.toContain(form);
    const unescaped = text
      .replaceAll('\\\\/', '/')
      .replace(/\\\\u([0-9a-f]{4})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
      .replace(/&#x([0-9a-f]+);/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
      .replace(/&#(\d+);/g, (_m, dec: string) => String.fromCharCode(Number(dec)))
      .replace(/%([0-9a-f]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    expect(unescaped).not.toContain(key);
  });
});

describe('a credential cut off where surefetch stops reading the error body', () => {
  const key = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc';
  const headers = { authorization: `Bearer ${key}` };

  it('leaves no prefix of it at the 64 KiB cap', async () => {
    // 24 characters of the key fit under the cap, the rest is past it.
    const page = `<html><body><pre>${'x'.repeat(64 * 1024 - 17 - 24)}${key}</pre></body></html>`;
    server = await startQuotingServer(500, 'text/html', page);
    const { error, events } = await callRecorded(`${server.url}/v1/x`, { headers });
    expect(error.bodyTruncated).toBe(true);
    expect(error.body.endsWith('x[redacted]')).toBe(true);
    expect(exposed(error, events)).not.toContain(key.slice(0, 8));
  });

  it('leaves no prefix of it when the body stalls past the body timeout', async () => {
    server = await startHostileServer((_seen, response) => {
      response.writeHead(401, { 'content-type': 'text/plain' });
      response.write(`invalid api key: ${key.slice(0, 24)}`);
    });
    const { error, events } = await callRecorded(`${server.url}/v1/x`, { headers }, 300);
    expect(error.cause).toBeInstanceOf(BodyTimeoutError);
    expect(error.bodyTruncated).toBe(true);
    expect(error.body).toBe('invalid api key: [redacted]');
    expect(error.serverMessage).toBe('invalid api key: [redacted]');
    expect(exposed(error, events)).not.toContain(key.slice(0, 8));
  });

  it('leaves no prefix of it when the connection breaks off mid-body', async () => {
    server = await startHostileServer((_seen, response) => {
      response.writeHead(401, { 'content-type': 'text/plain', 'content-length': '200' });
      response.write(`invalid api key: ${key.slice(0, 12)}`, () => setTimeout(() => response.socket?.destroy(), 20));
    });
    const { error, events } = await callRecorded(`${server.url}/v1/x`, { headers });
    expect(error.bodyTruncated).toBe(true);
    expect(error.body).toBe('invalid api key: [redacted]');
    expect(exposed(error, events)).not.toContain(key.slice(0, 8));
  });

  it('keeps the end of a cut body that is not the start of a credential', async () => {
    server = await startHostileServer((_seen, response) => {
      response.writeHead(401, { 'content-type': 'text/plain', 'content-length': '200' });
      response.write('invalid api key: sk_', () => setTimeout(() => response.socket?.destroy(), 20));
    });
    const { error } = await callRecorded(`${server.url}/v1/x`, { headers });
    expect(error.bodyTruncated).toBe(true);
    expect(error.body).toBe('invalid api key: sk_');
  });
});

/** A server that answers every request 400, quoting the body it got (as it got it) in its own text and a header. */
function startEchoingServer(contentType: string, quote: (received: string) => string): Promise<HostileServer> {
  return startHostileServer((seen, response) => {
    response.writeHead(400, { 'content-type': contentType, 'x-debug-echo': seen.body });
    response.end(quote(seen.body));
  });
}

// Form-encoded (`application/x-www-form-urlencoded`, as a form post is written, or as a framework
// logs the body it failed to handle): a space is `+`, and `~ ! ' ( ) *` are escaped where
// `encodeURIComponent` leaves them as they are.
describe('a credential the server echoes form-encoded is redacted', () => {
  it.each([
    ['with spaces as +', 'correct horse battery staple', 'correct+horse+battery+staple'],
    ["with ~ ! ' ( ) * escaped as a form writes them", "p4ss~word!(it's)*", 'p4ss%7Eword%21%28it%27s%29*'],
  ])('%s, in the body, the message, a header and the events', async (_name, password, encoded) => {
    server = await startEchoingServer('text/plain', (received) => `could not parse form: ${received}`);
    const body = new URLSearchParams({ username: 'ada', password });
    const { error, events } = await callRecorded(`${server.url}/v1/login`, { method: 'POST', body });
    // The server got the form as fetch writes it, and quoted exactly that.
    expect(server.requests[0]?.body).toBe(`username=ada&password=${encoded}`);
    expect(error.body).toBe('could not parse form: username=ada&password=[redacted]');
    expect(error.headers['x-debug-echo']).toBe('username=ada&password=[redacted]');
    expect(exposed(error, events)).not.toContain(encoded);
    expect(exposed(error, events)).not.toContain(password);
  });

  it('in JSON that quotes the form, a secret sent as JSON with spaces is found in its form-encoded echo too', async () => {
    const password = 'correct horse battery staple';
    server = await startEchoingServer('application/json', () => JSON.stringify({ message: 'bad login', errors: [`password: rejected ${encodeURIComponent(password).replaceAll('%20', '+')}`] }));
    const { error, events } = await callRecorded(`${server.url}/v1/login`, { method: 'POST', body: JSON.stringify({ user: 'ada', password }), headers: { 'content-type': 'application/json' } });
    expect(error.details).toEqual([{ field: 'password', message: 'rejected [redacted]' }]);
    expect(exposed(error, events)).not.toContain('correct+horse');
  });
});
