/**
 * Credentials that reach text surefetch builds from the request itself, not from the answer: a
 * token in the path (Vault's `/v1/auth/token/lookup/<token>`, sent again in `X-Vault-Token`)
 * that the default operation name quotes, what the idempotency record keeps (the operation, a
 * failure, the answer's headers echoing the key), and URLs with `user:password@` in spellings
 * the URL parser accepts or that do not parse at all.
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AttemptTimeoutError,
  AuthError,
  IdempotencyError,
  InvalidRequestError,
  createFetch,
  idempotency,
  memoryStore,
  retry,
  type SurefetchEvent,
} from '../src/index.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

const token = 'hvs.CAESIJ1bXyZ3kR8pQm4nT0uV5wXe';
const vault = { 'x-vault-token': token };

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

// Everything a caller or a log could see of an error.
const shown = (error: unknown): string =>
  [String(error), (error as Error).stack, inspect(error, { depth: 5 }), JSON.stringify(error), (error as { operation?: string }).operation].join('\n');

describe('a token in the path', () => {
  it('is not in an attempt timeout error (message, stack, operation), while its path is named', async () => {
    server = await startHostileServer(() => undefined); // never answers
    const events: SurefetchEvent[] = [];
    const sureFetch = createFetch({ attemptTimeoutMs: 100, onEvent: (event) => events.push(event) });
    const error = await sureFetch(`${server.url}/v1/auth/token/lookup/${token}`, { headers: vault }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AttemptTimeoutError);
    expect((error as AttemptTimeoutError).operation).toBe('GET /v1/auth/token/lookup/[redacted]');
    expect(shown(error)).not.toContain(token);
    expect(JSON.stringify(events)).not.toContain(token);
  });

  it('is not in an AuthError from a 403, nor in the errors retry gave up after', async () => {
    server = await startHostileServer((_seen, response) => {
      response.writeHead(403, { 'content-type': 'application/json' });
      response.end('{"errors":["permission denied"]}');
    });
    const sureFetch = createFetch({ middleware: [retry()] });
    const error = await sureFetch(`${server.url}/v1/auth/token/lookup/${token}`, { headers: vault }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).operation).toContain('/v1/auth/token/lookup/');
    expect(shown(error)).not.toContain(token);
  });

  it('is not in the idempotency record nor in the PREVIOUSLY_FAILED error of a re-run', async () => {
    server = await startHostileServer((_seen, response) => {
      response.writeHead(422, { 'content-type': 'application/json' });
      response.end('{"message":"token lookup refused"}');
    });
    const store = memoryStore();
    const sureFetch = createFetch({ middleware: [idempotency({ store }), retry()] });
    const call = (): Promise<unknown> =>
      sureFetch(`${server!.url}/v1/auth/token/lookup/${token}`, { method: 'POST', body: '{}', headers: vault, surefetch: { idempotencyScope: 'lookup:1' } }).catch((e: unknown) => e);
    const first = await call();
    const record = await store.get('lookup:1');
    expect(record?.state).toBe('failed');
    expect(record?.operation).toBe('POST /v1/auth/token/lookup/[redacted]');
    expect(JSON.stringify(record)).not.toContain(token);
    const rerun = await call();
    expect(rerun).toBeInstanceOf(IdempotencyError);
    expect((rerun as IdempotencyError).code).toBe('PREVIOUSLY_FAILED');
    expect(shown(first)).not.toContain(token);
    expect(shown(rerun)).not.toContain(token);
    expect(server.requests).toHaveLength(1);
  });
});

describe('the answer kept for a replay', () => {
  it('keeps no response header that echoes the request key or an ?auth= token, stored or replayed', async () => {
    const key = 'live_8f3b2c1d9e7a6b5c4d3e2f1a';
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl';
    server = await startHostileServer((_seen, response) => {
      response.writeHead(201, { 'content-type': 'application/json', location: `/v1/orders/ord_1.json?auth=${jwt}`, 'x-consumer-id': key });
      response.end('{"id":"ord_1"}');
    });
    const store = memoryStore();
    const sureFetch = createFetch({ middleware: [idempotency({ store })] });
    const create = (): Promise<Response> =>
      sureFetch(`${server!.url}/v1/orders.json?auth=${jwt}`, { method: 'POST', body: '{}', headers: { 'x-api-key': key }, surefetch: { idempotencyScope: 'order:1' } });
    expect((await create()).status).toBe(201);
    const record = await store.get('order:1');
    expect(record?.response?.headers['x-consumer-id']).toBe('[redacted]');
    expect(record?.response?.headers.location).toBe('/v1/orders/ord_1.json?auth=[redacted]');
    expect(JSON.stringify(record)).not.toContain(key);
    expect(JSON.stringify(record)).not.toContain(jwt);
    const replayed = await create();
    expect(await replayed.json()).toEqual({ id: 'ord_1' });
    expect(JSON.stringify([...replayed.headers])).not.toContain(key);
    expect(server.requests).toHaveLength(1);
  });
});

describe('a redirect to a pre-signed URL', () => {
  it("keeps the hop's own signature out of the error when the storage server echoes it", async () => {
    const signature = '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7';
    server = await startHostileServer((seen, response) => {
      if (seen.path.startsWith('/v1/reports')) {
        response.writeHead(302, { location: `/bucket/report.csv?X-Amz-Expires=300&X-Amz-Signature=${signature}` });
        response.end();
        return;
      }
      response.writeHead(403, { 'content-type': 'application/xml' });
      response.end(`<Error><Code>SignatureDoesNotMatch</Code><SignatureProvided>${signature}</SignatureProvided></Error>`);
    });
    const error = await createFetch()(`${server.url}/v1/reports/7/download`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).body).toContain('<SignatureProvided>[redacted]</SignatureProvided>');
    expect(shown(error)).not.toContain(signature);
    expect(server.requests.map((seen) => seen.path.split('?')[0])).toEqual(['/v1/reports/7/download', '/bucket/report.csv']);
  });
});

describe('a URL with user:password@ in it', () => {
  const password = 'Tr0ub4dor-and-3';
  it.each([
    ['a leading space', ` https://svc:${password}@api.example.com/v1/x`, password],
    ['a leading newline', `\nhttps://svc:${password}@api.example.com/v1/x`, password],
    ['backslashes', `https:\\\\svc:${password}@api.example.com/v1/x`, password],
    ['one slash', `https:/svc:${password}@api.example.com/v1/x`, password],
    ['no slash', `https:svc:${password}@api.example.com/v1/x`, password],
    ['a tab in the scheme', `ht\ttps://svc:${password}@api.example.com/v1/x`, password],
    ['an unencoded # in the password (does not parse)', 'https://svc:Tr0ub#4dor-and-3@api.example.com/v1/x', '4dor-and-3'],
    ['an unencoded / in the password (does not parse)', 'https://svc:Tr0ub/4dor-and-3@api.example.com/v1/x', '4dor-and-3'],
  ])('written with %s is refused without the password, GET and POST', async (_label, url, secret) => {
    const sureFetch = createFetch();
    for (const init of [{}, { method: 'POST', body: '{}' }]) {
      const error = await sureFetch(url, init).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect((error as Error).message).toContain('api.example.com');
      expect(shown(error)).not.toContain(secret);
    }
  });
});
