/**
 * A GET or HEAD sent past Node's fetch, straight to the undici dispatcher fetch would have used,
 * with the same request on the wire and the answer built as the `Response` fetch would give.
 * fetch's own machinery (its `Request`, its fetch controller, the stream plumbing around the
 * body) costs about as much as everything else a small keep-alive GET costs: with it skipped,
 * `createFetch()` went from about 0.9x raw fetch's calls/s to about 1.4x (`BENCH_ONLY=overhead
 * npm run bench`, Node 20). Used only
 * where an attempt already goes through an `AttemptDispatcher` (Node's own fetch, no caller's
 * signal), for a request with nothing fetch would treat specially (see {@link dispatchFetchFits}).
 */
import type { RequestSpec } from '../core/types.js';
import type { AttemptDispatcher, DispatchHandler } from './attempt-dispatcher.js';
import { fetchDefaultHeaders, isBlockedPort } from './fetch-defaults.js';
import { latin1Text } from './latin1-text.js';
import { chainDecoders, decodersOf, nodeCodecs } from './body-decoding.js';
import { cancelWhenCollected, dispatchedResponse, type DispatchedResponse } from './dispatched-response.js';
import { urlOf } from './request-spec.js';

// Statuses whose answer has no body, as fetch builds them.
const NULL_BODY = new Set([101, 103, 204, 205, 304]);
// Up to this much of a body is taken in before the socket waits for a read.
const BODY_BUFFER_BYTES = 65_536;
// Request fields fetch rewrites or adds to on its own (conditional and range requests, the
// host, the fetch mode): such a request goes through fetch.
const FETCH_SHAPED = new Set(['accept-encoding', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since', 'range', 'sec-fetch-mode']);

/**
 * Whether `request` may go through {@link dispatchFetch}: a GET or HEAD with no body to an
 * http(s) URL on a port fetch sends to, with no fetch option of its own (`redirect`,
 * `keepalive`, ...) but a `dispatcher`, none of the fields fetch rewrites, fetch's default
 * headers known and Node's zlib at hand. Anything else (a `data:` URL, a blocked port) is
 * fetch's to send or refuse. @internal
 */
export function dispatchFetchFits(request: RequestSpec): boolean {
  if (request.body !== null || (request.method !== 'GET' && request.method !== 'HEAD')) return false;
  const url = urlOf(request);
  const scheme = url.protocol === 'https:' ? 'https' : url.protocol === 'http:' ? 'http' : undefined;
  if (scheme === undefined || isBlockedPort(url.port) || fetchDefaultHeaders(scheme) === undefined || nodeCodecs() === undefined) return false;
  for (const key in request.options) if (key !== 'dispatcher' && (request.options as Record<string, unknown>)[key] !== undefined) return false;
  for (const name of request.headers.keys()) if (FETCH_SHAPED.has(name)) return false;
  return true;
}

/**
 * Sends `request` through `dispatcher` as Node's fetch would with `redirect: 'manual'`, and
 * resolves with the answer as fetch gives it: its headers, its body as a byte stream (decoded as
 * fetch decodes it), `url`, `type` and `redirected` (see `DispatchedResponse`). Fails as fetch
 * fails: `TypeError('fetch failed')` with the cause before the answer, a body that errors with
 * `TypeError('terminated')` after it. @internal
 */
export function dispatchFetch(request: RequestSpec, dispatcher: AttemptDispatcher): Promise<Response> {
  const url = urlOf(request);
  return new Promise<Response>((resolve, reject) => {
    const handler = new DispatchedAnswer(request, resolve, reject);
    try {
      dispatcher.dispatch({ origin: url.origin, path: url.pathname + url.search, method: request.method, body: null, headers: wireHeaders(request, url), maxRedirections: 0 }, handler);
    } catch (error) {
      handler.onError(error);
    }
  });
}

// The request's own headers, then fetch's defaults for the names it does not set, in fetch's order.
function wireHeaders(request: RequestSpec, url: URL): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of request.headers) headers[name] = value;
  for (const [name, value] of fetchDefaultHeaders(url.protocol === 'https:' ? 'https' : 'http') ?? []) if (!(name in headers)) headers[name] = value;
  return headers;
}

type Decoding = ReturnType<typeof chainDecoders>;

const ignore = (): undefined => undefined;

// Receives undici's callbacks for one exchange and turns them into a Response.
class DispatchedAnswer implements DispatchHandler {
  private abort: ((reason?: unknown) => void) | undefined = undefined;
  private resume: (() => void) | undefined = undefined;
  private stream: ReadableByteStreamController | undefined = undefined;
  private decoding: Decoding | undefined = undefined;
  private answered = false;
  private done = false;
  private readonly request: RequestSpec;
  // Let go once settled: the promise holds the Response, and undici holds this handler while the
  // body is read, which would keep a Response nobody reads from being collected.
  private resolve: (response: Response) => void;
  private reject: (error: unknown) => void;

  constructor(request: RequestSpec, resolve: (response: Response) => void, reject: (error: unknown) => void) {
    this.request = request;
    this.resolve = resolve;
    this.reject = reject;
  }

  onConnect(abort: (reason?: unknown) => void): void {
    this.abort = abort;
  }

  onHeaders(status: number, raw: unknown, resume: () => void, statusText: string): boolean {
    // An informational answer (103 Early Hints): fetch waits for the final one.
    if (status < 200 || this.answered) return true;
    this.answered = true;
    this.resume = resume;
    const headers = headersOf(raw);
    const empty = this.request.method === 'HEAD' || NULL_BODY.has(status);
    if (!empty) {
      const decoders = decodersOf(headers.get('content-encoding'), nodeCodecs()!);
      if (decoders instanceof Error) return this.refuse(decoders);
      if (decoders.length > 0) this.decoding = chainDecoders(decoders, this.sink());
    }
    const body = empty ? null : new ReadableStream({ type: 'bytes', start: (controller) => void (this.stream = controller), pull: () => this.pull(), cancel: (reason) => this.cancel(reason) }, { highWaterMark: BODY_BUFFER_BYTES });
    // fetch's url has no fragment, an empty one (`#`) included.
    const cut = this.request.url.indexOf('#');
    const href = cut === -1 ? this.request.url : this.request.url.slice(0, cut);
    let response: DispatchedResponse;
    try {
      response = dispatchedResponse(body, status, statusText, headers, href);
    } catch (error) {
      return this.refuse(error);
    }
    if (empty) this.done = true;
    else cancelWhenCollected(response, body!);
    this.settle().resolve(response);
    return true;
  }

  onData(chunk: unknown): boolean {
    if (this.done || !(chunk instanceof Uint8Array)) return true;
    if (this.decoding !== undefined) {
      if (this.decoding.write(chunk)) return true;
      this.decoding.onDrain(() => this.resume?.());
      return false;
    }
    return this.enqueue(chunk);
  }

  onComplete(): void {
    if (this.done) return;
    if (this.decoding !== undefined) return this.decoding.end();
    this.done = true;
    this.stream?.close();
  }

  onError(error: unknown): void {
    if (!this.answered) {
      this.answered = true;
      this.done = true;
      this.settle().reject(new TypeError('fetch failed', { cause: error }));
      return;
    }
    this.fail(error);
  }

  // The promise's callbacks, forgotten here (see resolve).
  private settle(): { resolve: (response: Response) => void; reject: (error: unknown) => void } {
    const { resolve, reject } = this;
    this.resolve = ignore;
    this.reject = ignore;
    return { resolve, reject };
  }

  // A copy goes in: the chunk is a view of undici's buffer, and a byte stream takes over what it is given.
  private enqueue(chunk: Uint8Array): boolean {
    const stream = this.stream;
    // A byte stream refuses an empty chunk.
    if (this.done || stream === undefined || chunk.byteLength === 0) return true;
    stream.enqueue(new Uint8Array(chunk));
    return (stream.desiredSize ?? 0) > 0;
  }

  private sink(): Parameters<typeof chainDecoders>[1] {
    return {
      data: (chunk) => {
        if (!this.enqueue(chunk)) this.decoding?.pause();
      },
      end: () => {
        if (this.done) return;
        this.done = true;
        this.stream?.close();
      },
      error: (error) => {
        this.abort?.(error);
        this.fail(error);
      },
    };
  }

  private pull(): void {
    this.decoding?.resume();
    this.resume?.();
  }

  private cancel(reason: unknown): void {
    this.done = true;
    this.decoding?.destroy();
    this.abort?.(reason);
  }

  private fail(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.decoding?.destroy();
    this.stream?.error(new TypeError('terminated', { cause: error }));
  }

  // An answer no Response can carry (too many codings): the exchange ends, and the fetch fails.
  private refuse(error: unknown): false {
    this.done = true;
    this.decoding?.destroy();
    this.abort?.(error);
    this.settle().reject(new TypeError('fetch failed', { cause: error }));
    return false;
  }
}

// The answer's header list (undici's raw `[name, value, ...]` bytes) as fetch decodes it: Latin-1,
// a line no Headers can hold left out.
function headersOf(raw: unknown): Headers {
  const headers = new Headers();
  if (!Array.isArray(raw)) return headers;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    try {
      headers.append(latin1Text(raw[index]), latin1Text(raw[index + 1]));
    } catch {
      // Not a valid field: fetch's parser would not have let it through either.
    }
  }
  return headers;
}
