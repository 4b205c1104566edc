import { utf8ByteLength } from '../core/bytes.js';
import { toInvalidRequestError } from '../errors/invalid-request-error.js';
import type { RequestSpec } from '../core/types.js';

/** Options for {@link buildRequestSpec}. */
export interface RequestSpecOptions {
  /**
   * Bodies up to this size are buffered once so every attempt can send them again; a larger
   * body is streamed once and never retried, with its `Content-Length` when its size is known
   * (a string, bytes, a `Blob`, `URLSearchParams`).
   * @default 10485760 (10 MiB)
   */
  readonly maxReplayBytes?: number;
}

// RequestInit fields that shape how the request is sent but not what it is.
const passThroughKeys = [
  'cache',
  'credentials',
  'integrity',
  'keepalive',
  'mode',
  'redirect',
  'referrer',
  'referrerPolicy',
  'priority',
  'dispatcher',
] as const;

/**
 * Normalizes `fetch` arguments into a {@link RequestSpec}. A body given as a string, bytes,
 * `Blob`, `FormData` or `URLSearchParams`, or inside a `Request`, is buffered (it is already in
 * memory, or was tee'd by the caller) up to `maxReplayBytes`; a `ReadableStream` or async
 * iterable given as `init.body` is a one-shot stream and is never buffered. Arguments that make
 * no valid request reject with an `InvalidRequestError` free of the credentials they carried.
 *
 * @example
 * ```ts
 * const spec = await buildRequestSpec('https://api.test/v1/orders/create', { method: 'POST', body: '{}' });
 * spec.replayable; // true
 * ```
 */
export async function buildRequestSpec(
  input: string | URL | Request,
  init: RequestInit | undefined,
  { maxReplayBytes = 10 * 1024 * 1024 }: RequestSpecOptions = {},
): Promise<RequestSpec> {
  const simple = plainRequestSpec(input, init);
  if (simple !== undefined) return simple;
  const oneShot = isStreamBody(init?.body);
  let request: Request;
  try {
    request = new Request(input, oneShot ? { ...init, duplex: 'half' } as RequestInit : stripSignal(init));
  } catch (error) {
    throw toInvalidRequestError(error, input, init);
  }
  const method = request.method.toUpperCase();
  const headers = new Headers(request.headers);
  const options = passThroughOf(init);
  if (request.body === null) return new BuiltRequestSpec(request.url, method, headers, options, null, true, undefined);
  if (oneShot) return new BuiltRequestSpec(request.url, method, headers, options, request.body, false, undefined);
  const buffered = await bufferUpTo(request.body, maxReplayBytes);
  // Too large to keep, so streamed once: without its length it would go out chunked, which
  // some servers (S3) refuse.
  const length = buffered.complete ? undefined : knownLength(init?.body);
  if (length !== undefined && !headers.has('content-length')) headers.set('content-length', String(length));
  return new BuiltRequestSpec(request.url, method, headers, options, buffered.body, buffered.complete, undefined);
}

/**
 * A spec built here. What the layers derive from its URL and headers on every attempt (the
 * parsed URL, the API it goes to) is kept with it, in private fields rather than a WeakMap
 * keyed by the spec: a WeakMap entry per call costs a hash insert and work for the garbage
 * collector. Private fields are not copied by a spread, so a spec derived from this one
 * (`{ ...spec, headers }`) derives its own. @internal
 */
export class BuiltRequestSpec implements RequestSpec {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly options: Readonly<RequestInit>;
  readonly body: Uint8Array | ReadableStream<Uint8Array> | null;
  readonly replayable: boolean;
  #parsed: URL | undefined;
  #api: string | undefined;

  constructor(url: string, method: string, headers: Headers, options: Readonly<RequestInit>, body: RequestSpec['body'], replayable: boolean, parsed: URL | undefined) {
    this.url = url;
    this.method = method;
    this.headers = headers;
    this.options = options;
    this.body = body;
    this.replayable = replayable;
    this.#parsed = parsed;
  }

  /** Its URL, parsed once. */
  parsedUrl(): URL {
    return (this.#parsed ??= new URL(this.url));
  }

  /** The API it goes to, as named by `make` on first use (see `apiKeyOf`). */
  apiKey<A>(make: (request: RequestSpec, arg: A) => string, arg: A): string {
    return (this.#api ??= make(this, arg));
  }
}

// Most requests set none of them: they share one empty (frozen) record.
const noPassThrough: Record<string, unknown> = Object.freeze({});

function passThroughOf(init: RequestInit | undefined): Record<string, unknown> {
  if (init === undefined) return noPassThrough;
  let passThrough: Record<string, unknown> | undefined;
  for (const key of passThroughKeys) {
    const value = (init as Record<string, unknown>)[key];
    if (value !== undefined) (passThrough ??= {})[key] = value;
  }
  return passThrough ?? noPassThrough;
}

// Fields `new Request` checks besides the URL, the method and the headers.
const checkedKeys = ['body', 'mode', 'credentials', 'cache', 'redirect', 'referrer', 'referrerPolicy', 'integrity', 'keepalive', 'window', 'priority', 'duplex'];

/**
 * The spec of a plain GET or HEAD (a URL, perhaps headers, no body and none of the fields
 * `new Request` checks) built without a `Request`: the same URL parse and header checks, minus
 * the objects a `Request` carries. `undefined` for anything else, or anything invalid, which
 * then takes the full path (and its error). Synchronous, so that a plain GET costs no await.
 * @internal
 */
export function plainRequestSpec(input: string | URL | Request, init: RequestInit | undefined): RequestSpec | undefined {
  if (typeof input !== 'string' && !(input instanceof URL)) return undefined;
  const method = init?.method === undefined ? 'GET' : init.method.toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') return undefined;
  if (init !== undefined && checkedKeys.some((key) => (init as Record<string, unknown>)[key] != null)) return undefined;
  let url: URL;
  let headers: Headers;
  try {
    url = new URL(typeof input === 'string' ? input : input.href);
    headers = new Headers(init?.headers);
  } catch {
    return undefined;
  }
  if (url.username !== '' || url.password !== '') return undefined;
  return new BuiltRequestSpec(url.href, method, headers, passThroughOf(init), null, true, url);
}

/**
 * The URL of a request as a `URL`: the one parsed when the request was built, or a new parse.
 * Read it, do not change it. @internal
 *
 * @example
 * ```ts
 * urlOf(ctx.request).pathname; // '/v1/orders/list'
 * ```
 */
export function urlOf(request: RequestSpec): URL {
  return request instanceof BuiltRequestSpec ? request.parsedUrl() : new URL(request.url);
}

// The byte length of a body fetch would send with a Content-Length; `undefined` when unknown.
function knownLength(body: unknown): number | undefined {
  if (typeof body === 'string') return utf8ByteLength(body);
  if (body instanceof URLSearchParams) return utf8ByteLength(body.toString());
  if (body instanceof Blob) return body.size;
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return body.byteLength;
  return undefined;
}

function stripSignal(init: RequestInit | undefined): RequestInit | undefined {
  if (init?.signal === undefined) return init;
  const { signal: _signal, ...rest } = init;
  return rest;
}

function isStreamBody(body: unknown): boolean {
  if (body === null || body === undefined) return false;
  if (body instanceof ReadableStream) return true;
  return typeof (body as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

async function bufferUpTo(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<{ body: Uint8Array | ReadableStream<Uint8Array>; complete: boolean }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > maxBytes) return { body: resumeStream(chunks, reader), complete: false };
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { body, complete: true };
}

// Too big to keep: send what was read so far, then the rest of the original stream, once.
function resumeStream(head: Uint8Array[], reader: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller): Promise<void> {
      const next = head.shift();
      if (next !== undefined) {
        controller.enqueue(next);
        return;
      }
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
