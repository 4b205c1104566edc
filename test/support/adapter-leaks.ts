/**
 * What the client adapters' tests (test/adapters-redaction-*.test.ts) share: the credentials a
 * request carries, servers that refuse it while echoing them, and every place of ofetch's and
 * ky's errors a credential could show in, counted.
 */
import { createServer } from 'node:net';
import { inspect } from 'node:util';
import type { HTTPError } from 'ky';
import type { FetchError } from 'ofetch';
import { createFetch, createManualClock, retry } from '../../src/index.js';
import { startHostileServer, type HostileServer } from '../hostile/server.js';
import { within } from '../hostile/within.js';

export const SECRET = 'sk_live_SECRETSECRET123456';
export const PASSWORD = 'hunter2hunter2';
export const OTHER_KEY = 'xk_OTHERKEY987654321';
export const authorization = { Authorization: `Bearer ${SECRET}` };
export const path = `v1/charges?api_key=${SECRET}&page=2`;
export const order = { password: PASSWORD, amount: 12 };

/** A server that refuses every request with a 400 quoting its credentials, body and header. */
export function startEchoServer(contentType = 'application/json'): Promise<HostileServer> {
  return startHostileServer((seen, response) => {
    const credentials = `${seen.headers.authorization ?? ''} ${String(seen.headers['x-api-key'] ?? '')}`;
    response.writeHead(400, { 'content-type': contentType, 'x-echo': credentials, 'set-cookie': `session=${SECRET}` });
    const error = `bad key ${credentials} url ${seen.path} body ${seen.body}`;
    response.end(JSON.stringify({ code: 'INVALID_KEY', field: 'amount', error }));
  });
}

/**
 * A server that refuses every request with a 400 quoting the `password` field of its JSON or
 * form body bare (no `password=` or `"password":` next to it), in its body and in a header.
 */
export function startBareEchoServer(): Promise<HostileServer> {
  return startHostileServer((seen, response) => {
    const type = String(seen.headers['content-type']);
    const form = type.startsWith('application/x-www-form-urlencoded');
    const password = form ? new URLSearchParams(seen.body).get('password') : (JSON.parse(seen.body || '{}') as { password?: string }).password;
    response.writeHead(400, { 'content-type': 'application/json', 'x-echo': `rejected ${password ?? ''}` });
    response.end(JSON.stringify({ code: 'WEAK', detail: `rejected ${password ?? ''}`, sentAs: type }));
  });
}

export const sureFetch = () => createFetch({ middleware: [retry()], clock: createManualClock() });
const show = (value: unknown): string => inspect(value, { depth: 6, getters: true, showHidden: false });
const headerText = (headers: Headers | undefined): string => JSON.stringify([...(headers ?? new Headers())]);

/** How often a secret appears in each place. */
export function leaks(places: Record<string, unknown>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [place, value] of Object.entries(places)) {
    const text = typeof value === 'string' ? value : show(value);
    counts[place] = [SECRET, PASSWORD, OTHER_KEY].reduce((sum, secret) => sum + text.split(secret).length - 1, 0);
  }
  return counts;
}

/** The same places, each with no secret. */
export const none = (counts: Record<string, number>): Record<string, number> => Object.fromEntries(Object.keys(counts).map((place) => [place, 0]));

/** Every place of ofetch's FetchError a secret could show in. */
export function ofetchPlaces(error: FetchError): Record<string, unknown> {
  const response = error.response;
  return {
    inspect: error,
    message: error.message,
    stack: error.stack,
    data: JSON.stringify(error.data),
    responseData: JSON.stringify(response?._data),
    options: error.options,
    optionHeaders: headerText(error.options?.headers as Headers | undefined),
    optionBody: String(error.options?.body),
    request: String(error.request),
    responseHeaders: headerText(response?.headers),
    responseUrl: String(response?.url),
  };
}

/** Every place of ky's HTTPError a secret could show in, its answer's body read. */
export async function kyPlaces(error: HTTPError): Promise<Record<string, unknown>> {
  return {
    inspect: error,
    message: error.message,
    stack: error.stack,
    body: await within(error.response.text(), 2000),
    responseHeaders: headerText(error.response.headers),
    responseUrl: error.response.url,
    requestUrl: error.request.url,
    requestHeaders: headerText(error.request.headers),
    requestBody: await within(error.request.text(), 2000),
    options: error.options,
    optionHeaders: headerText(error.options.headers as Headers),
    optionJson: JSON.stringify((error.options as { json?: unknown }).json),
    optionBody: String(error.options.body),
  };
}

/** A URL on a port nothing listens on: bound, then released. */
export async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
