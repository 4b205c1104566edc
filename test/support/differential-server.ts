/**
 * For differential tests of `dispatchFetch` against Node's own fetch: servers on 127.0.0.1:0 that
 * log each request as it arrived on the wire (request line, header names lower-cased, in order)
 * and whether the connection closed before the answer was written in full; and `differential`,
 * which sends one request both ways and describes what each caller saw, so two outcomes can be
 * compared with one `toEqual`. Every server is closed when the test that started it ends.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { expect, onTestFinished } from 'vitest';
import { AttemptDispatcher } from '../../src/pipeline/attempt-dispatcher.js';
import { dispatchFetch, dispatchFetchFits } from '../../src/pipeline/dispatch-fetch.js';
import { plainRequestSpec } from '../../src/pipeline/request-spec.js';

/** One request as the server read it. */
export interface WireRequest {
  readonly line: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** `'finished'` once the answer was written in full; `'hung up'` when the connection closed first (raw servers: on close). */
  readonly end: Promise<'finished' | 'hung up'>;
}

export interface DifferentialServer {
  readonly url: string;
  readonly requests: WireRequest[];
}

async function listen(server: NetServer, sockets: Set<Socket>): Promise<string> {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  onTestFinished(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A `node:http` server whose every answer `answer` writes. */
export async function startHttpServer(answer: (response: ServerResponse, request: IncomingMessage) => void): Promise<DifferentialServer> {
  const requests: WireRequest[] = [];
  const server = createServer((request, response) => {
    const headers: Array<[string, string]> = [];
    for (let index = 0; index < request.rawHeaders.length; index += 2) headers.push([request.rawHeaders[index]!.toLowerCase(), request.rawHeaders[index + 1]!]);
    const end = new Promise<'finished' | 'hung up'>((resolve) => response.on('close', () => resolve(response.writableFinished ? 'finished' : 'hung up')));
    requests.push({ line: `${request.method} ${request.url} HTTP/${request.httpVersion}`, headers, end });
    answer(response, request);
  });
  return { url: await listen(server, new Set()), requests };
}

/** A `node:net` server: `answer` writes the raw bytes of each answer (requests are GETs without a body). */
export async function startRawServer(answer: (socket: Socket, request: WireRequest) => void): Promise<DifferentialServer> {
  const requests: WireRequest[] = [];
  const server = createNetServer((socket) => {
    const closed = new Promise<'hung up'>((resolve) => socket.on('close', () => resolve('hung up')));
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let at = buffered.indexOf('\r\n\r\n'); at !== -1; at = buffered.indexOf('\r\n\r\n')) {
        const [line = '', ...fields] = buffered.slice(0, at).split('\r\n');
        buffered = buffered.slice(at + 4);
        const headers = fields.map((field) => [field.slice(0, field.indexOf(':')).toLowerCase(), field.slice(field.indexOf(':') + 1).trim()] as const);
        const request = { line, headers, end: closed };
        requests.push(request);
        answer(socket, request);
      }
    });
    socket.on('error', () => undefined);
  });
  return { url: await listen(server, new Set()), requests };
}

/** A port on 127.0.0.1 nothing listens on (it was just given up). */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function errorOf(error: unknown): Record<string, unknown> {
  const cause = (error as { cause?: { constructor?: { name?: string }; name?: string; code?: string; message?: string } } | null)?.cause;
  return {
    class: (error as Error | null)?.constructor?.name,
    message: (error as Error | null)?.message,
    cause: cause === undefined ? undefined : { class: cause?.constructor?.name, name: cause?.name, code: cause?.code, message: cause?.message },
  };
}

/** The bytes, as text when short, else their length and SHA-256. */
export function digest(bytes: Uint8Array): string {
  if (bytes.length <= 256) return Buffer.from(bytes).toString('latin1');
  return `${bytes.length} bytes, sha256 ${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Reads the whole body (the default `read` of {@link differential}). */
export const readAll = async (response: Response): Promise<unknown> => digest(new Uint8Array(await response.arrayBuffer()));

/** What one caller saw: the answer's head and what reading its body gave, or the rejection. */
export async function outcomeOf(send: () => Promise<Response>, read: (response: Response) => Promise<unknown>): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await send();
  } catch (error) {
    return { rejected: errorOf(error) };
  }
  const { status, statusText, url, redirected, type, ok } = response;
  const head = { status, statusText, headers: [...response.headers], setCookie: response.headers.getSetCookie(), url, redirected, type, ok, bodyNull: response.body === null };
  try {
    return { ...head, body: await read(response) };
  } catch (error) {
    return { ...head, bodyError: errorOf(error) };
  }
}

/**
 * Sends GET `url` (or as `init` says) with Node's fetch (`redirect: 'manual'`), then through
 * `dispatchFetch`, one after the other. A `date` header is left out of both when they differ.
 */
export async function differential(url: string, init: RequestInit = {}, read = readAll): Promise<{ fetched: Record<string, unknown>; dispatched: Record<string, unknown> }> {
  const fetched = await outcomeOf(() => fetch(url, { ...init, redirect: 'manual' }), read);
  const spec = plainRequestSpec(url, init);
  expect(spec !== undefined && dispatchFetchFits(spec)).toBe(true);
  const dispatched = await outcomeOf(() => dispatchFetch(spec!, new AttemptDispatcher(undefined)), read);
  const dateOf = (outcome: Record<string, unknown>): unknown => (outcome.headers as Array<[string, string]> | undefined)?.find(([name]) => name === 'date')?.[1];
  if (dateOf(fetched) !== dateOf(dispatched)) {
    for (const outcome of [fetched, dispatched]) outcome.headers = (outcome.headers as Array<[string, string]>).filter(([name]) => name !== 'date');
  }
  return { fetched, dispatched };
}

/** The request line and headers of each request, for comparing the first (fetch's) with the second. */
export function wire(server: DifferentialServer): Array<{ line: string; headers: ReadonlyArray<readonly [string, string]> }> {
  return server.requests.map(({ line, headers }) => ({ line, headers }));
}

/** Asserts that requests came in pairs (fetch's, then dispatchFetch's), each pair the same on the wire. */
export function expectSameWire(server: DifferentialServer, pairs: number): void {
  const seen = wire(server);
  expect(seen).toHaveLength(pairs * 2);
  // One assertion for all pairs, so that a failure shows every difference.
  expect(seen.filter((_, index) => index % 2 === 1)).toEqual(seen.filter((_, index) => index % 2 === 0));
}
