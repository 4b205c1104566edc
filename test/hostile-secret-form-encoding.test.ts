/**
 * Servers that echo a request's credential form-encoded (`application/x-www-form-urlencoded`,
 * as a form post is written, or as a framework logs the body it failed to handle): a space is
 * `+` there, and `~ ! ' ( ) *` are escaped where `encodeURIComponent` leaves them as they are.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HttpError, createFetch, type SurefetchEvent } from '../src/index.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';
import { within } from './hostile/within.js';

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server that answers every request 400, quoting the body it got (as it got it) in its own text and a header. */
function startEchoingServer(contentType: string, quote: (received: string) => string): Promise<HostileServer> {
  return startHostileServer((seen, response) => {
    const received = seen.body;
    response.writeHead(400, { 'content-type': contentType, 'x-debug-echo': received });
    response.end(quote(received));
  });
}

async function failedCall(url: string, init: RequestInit): Promise<{ error: HttpError; events: SurefetchEvent[] }> {
  const events: SurefetchEvent[] = [];
  const sureFetch = createFetch({ onEvent: (event) => events.push(event) });
  const error = await within(sureFetch(url, init), 5000).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(HttpError);
  return { error: error as HttpError, events };
}

function exposed(error: HttpError, events: readonly SurefetchEvent[]): string {
  const { message, serverMessage, body, details, headers, url } = error;
  return JSON.stringify({ message, serverMessage, body, details, headers, url, events });
}

describe('a credential the server echoes form-encoded is redacted', () => {
  it.each([
    ['with spaces as +', 'correct horse battery staple', 'correct+horse+battery+staple'],
    ["with ~ ! ' ( ) * escaped as a form writes them", "p4ss~word!(it's)*", 'p4ss%7Eword%21%28it%27s%29*'],
  ])('%s, in the body, the message, a header and the events', async (_name, password, encoded) => {
    server = await startEchoingServer('text/plain', (received) => `could not parse form: ${received}`);
    const body = new URLSearchParams({ username: 'ada', password });
    const { error, events } = await failedCall(`${server.url}/v1/login`, { method: 'POST', body });
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
    const { error, events } = await failedCall(`${server.url}/v1/login`, { method: 'POST', body: JSON.stringify({ user: 'ada', password }), headers: { 'content-type': 'application/json' } });
    expect(error.details).toEqual([{ field: 'password', message: 'rejected [redacted]' }]);
    expect(exposed(error, events)).not.toContain('correct+horse');
  });
});
