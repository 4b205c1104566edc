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
  const oneShot = isStreamBody(init?.body);
  let request: Request;
  try {
    request = new Request(input, oneShot ? { ...init, duplex: 'half' } as RequestInit : stripSignal(init));
  } catch (error) {
    throw toInvalidRequestError(error, input, init);
  }
  const passThrough: Record<string, unknown> = {};
  for (const key of passThroughKeys) {
    const value = (init as Record<string, unknown> | undefined)?.[key];
    if (value !== undefined) passThrough[key] = value;
  }
  const base = { url: request.url, method: request.method.toUpperCase(), headers: new Headers(request.headers), options: passThrough };
  if (request.body === null) return { ...base, body: null, replayable: true };
  if (oneShot) return { ...base, body: request.body, replayable: false };
  const buffered = await bufferUpTo(request.body, maxReplayBytes);
  // Too large to keep, so streamed once: without its length it would go out chunked, which
  // some servers (S3) refuse.
  const length = buffered.complete ? undefined : knownLength(init?.body);
  if (length !== undefined && !base.headers.has('content-length')) base.headers.set('content-length', String(length));
  return { ...base, body: buffered.body, replayable: buffered.complete };
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
