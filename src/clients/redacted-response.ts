/**
 * The pieces a client adapter needs to rebuild a client's error without the request's secrets:
 * the secrets themselves, headers, a bounded read of an answer's body, and a copy of the answer.
 */
import { factsOf, withFacts } from '../core/call-facts.js';
import { systemClock } from '../core/clock.js';
import { REDACTED, redactHeaders, redactText, redactTruncatedText } from '../core/redact.js';
import { answeredRequestSecrets, redactUrlWith, requestSecrets } from '../core/request-secrets.js';
import { readCappedText } from '../verdict/response-body.js';
import { isWalkable, redactBodyText, redactData } from '../core/redact-data.js';

/** The most of an error body a client's rebuilt error keeps, in bytes. @internal */
export const maxClientErrorBodyBytes = 1024 * 1024;
/** How long reading a client's error body may take when the call does not say, in ms. @internal */
export const defaultClientErrorBodyMs = 10_000;

// Headers that describe the bytes on the wire: the copy's body is decoded and may be shorter.
const WIRE_HEADERS = ['content-length', 'content-encoding', 'transfer-encoding'];

/**
 * How long a client's error body may take to read: the call's `surefetch.bodyTimeoutMs` when it
 * is a positive finite number, else 10 s (an error path never waits without a bound, so `0` and
 * `Infinity`, "no bound" for surefetch's own reads, are 10 s here). @internal
 *
 * @example
 * ```ts
 * errorBodyTimeoutMs(options.surefetch); // 10_000 unless the call set bodyTimeoutMs
 * ```
 */
export function errorBodyTimeoutMs(callOptions: unknown): number {
  const isObject = typeof callOptions === 'object' && callOptions !== null;
  const value = isObject ? (callOptions as { bodyTimeoutMs?: unknown }).bodyTimeoutMs : undefined;
  return typeof value === 'number' && value > 0 && Number.isFinite(value) ? value : defaultClientErrorBodyMs;
}

/** What `new Headers()` takes: a `Headers`, a record, or name/value pairs. @internal */
export type HeadersLike = ConstructorParameters<typeof Headers>[0];

/** What a client knows of the request it sent: its URL, headers and body. @internal */
export interface SentRequest {
  readonly url: string;
  readonly headers: Headers;
  /** The body as the client handed it to fetch; only text and forms can be read (see `sentText`). */
  readonly body: unknown;
}

/**
 * Every credential the request carries (see `requestSecrets`) as the client describes it (a
 * form without a content type read as the form fetch sends), those of the request surefetch
 * sent for `answer` (see `answeredRequestSecrets`: the body of a `Request`, which the client
 * never read), and those of the URL the answer came from when a redirect led elsewhere (a
 * pre-signed URL's signature, which the server may echo). Never throws: what it cannot read
 * adds nothing. @internal
 *
 * @example
 * ```ts
 * const secrets = sentSecrets({ url, headers, body: '{"password":"…"}' }, error.response);
 * ```
 */
export function sentSecrets(request: SentRequest, answer?: Response): string[] {
  const found = new Set<string>();
  const add = (spec: Parameters<typeof requestSecrets>[0]): void => {
    try {
      for (const secret of requestSecrets(spec)) found.add(secret);
    } catch {
      // A request surefetch cannot parse has no secrets it could name.
    }
  };
  const text = sentText(request.body);
  let { headers } = request;
  if (request.body instanceof URLSearchParams && !headers.has('content-type')) {
    // fetch sends a form with this type when none is set.
    headers = new Headers(headers);
    headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
  }
  add({ url: request.url, headers, body: text === undefined ? null : new TextEncoder().encode(text) });
  for (const secret of answeredRequestSecrets(answer)) found.add(secret);
  const answerUrl = answer?.url;
  const redirected = answerUrl !== undefined && answerUrl !== '' && answerUrl !== request.url;
  if (redirected) add({ url: answerUrl, headers: new Headers(), body: null });
  return [...found];
}

/**
 * A request body as the text that was sent, for `sentSecrets`: a string, or a form's encoding;
 * `undefined` for bytes, streams and multipart forms. @internal
 *
 * @example
 * ```ts
 * sentText(new URLSearchParams({ password: 'x' })); // 'password=x'
 * ```
 */
export function sentText(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  return body instanceof URLSearchParams ? body.toString() : undefined;
}

/**
 * A request body kept on a client's error, with `secrets` removed: text (cut past 1 Mi
 * characters) and forms redacted, a plain object or array (a body not yet serialized) walked
 * by `redactData`, anything else (bytes, a stream, a multipart form), which surefetch cannot
 * read as text, replaced by `'[redacted]'`. @internal
 *
 * @example
 * ```ts
 * redactSentBody('{"password":"hunter2hunter2"}', ['hunter2hunter2']); // '{"password":"[redacted]"}'
 * ```
 */
export function redactSentBody(body: unknown, secrets: readonly string[]): unknown {
  if (body === undefined || body === null) return body;
  // A string is cut past 1 Mi characters, as `redactData` cuts one (see `maxRedactedChars`).
  if (typeof body === 'string') return redactData(body, secrets);
  if (body instanceof URLSearchParams) return new URLSearchParams(redactText(body.toString(), secrets));
  return isWalkable(body) ? redactData(body, secrets) : REDACTED;
}

/**
 * A `Headers` with every credential header's value replaced by `[redacted]` and `secrets` removed
 * from the others (see `redactHeaders`). Never throws: what is not headers gives none. @internal
 *
 * @example
 * ```ts
 * redactedHeaders(new Headers({ authorization: 'Bearer abc' }), []); // authorization: [redacted]
 * ```
 */
export function redactedHeaders(headers: HeadersLike, secrets: readonly string[]): Headers {
  try {
    return new Headers(redactHeaders(new Headers(headers), [], secrets));
  } catch {
    // Headers no fetch would send: none are kept.
    return new Headers();
  }
}

/**
 * An error's stack for its rebuilt copy: the same frames (where the client threw), under the
 * new message, with `secrets` removed; `undefined` when there was none. @internal
 *
 * @example
 * ```ts
 * copy.stack = mendedStack(error.stack, error.message, copy.message, secrets);
 * ```
 */
export function mendedStack(stack: unknown, oldMessage: string, newMessage: string, secrets: readonly string[]): string | undefined {
  if (typeof stack !== 'string') return undefined;
  return redactText(oldMessage === '' ? stack : stack.split(oldMessage).join(newMessage), secrets);
}

/**
 * At most 1 MiB of `response`'s body as text, read within `timeoutMs`, with `secrets` removed.
 * A body that stalls, breaks off or is larger keeps what arrived (its cut end redacted as the
 * start of a secret would be, see `redactTruncatedText`), and the rest is cancelled, so a client's
 * error path never waits on a server for longer. Never rejects. @internal
 *
 * @example
 * ```ts
 * const text = await readRedactedText(error.response, secrets, 10_000);
 * ```
 */
export async function readRedactedText(response: Response, secrets: readonly string[], timeoutMs: number): Promise<string> {
  try {
    // Nothing aborts this read but its own time bound: the caller's signal may already have
    // fired, and the error still needs a body.
    const limit = { signal: new AbortController().signal, timeoutMs, clock: systemClock, operation: 'error body' };
    const { text, truncated } = await readCappedText(response, maxClientErrorBodyBytes, limit);
    return truncated ? redactTruncatedText(text, secrets) : redactBodyText(text, secrets);
  } catch {
    return '';
  }
}

/**
 * A copy of `response` for a rebuilt client error: the same status and `statusText`, headers
 * redacted (and without `content-length`, `content-encoding` and `transfer-encoding`, which
 * described the original bytes), the URL redacted, `body` as given, and surefetch's facts (see
 * `factsOf`) still readable from it; a status over 599 (which fetch takes from the wire but no
 * `Response` may be built with) is kept as an own property. Never throws: the copy of an opaque
 * answer (status 0), or one it cannot build, is `Response.error()`. @internal
 *
 * @example
 * ```ts
 * const copy = redactedResponse(error.response, await readRedactedText(error.response, secrets, 10_000), secrets);
 * ```
 */
export function redactedResponse(response: Response, body: string | null, secrets: readonly string[]): Response {
  try {
    // An opaque answer (status 0) has no status, headers or body to keep.
    if (response.status < 200 || response.status > 999) return Response.error();
    const headers = redactedHeaders(response.headers, secrets);
    for (const name of WIRE_HEADERS) headers.delete(name);
    // A 204 or 304 may not have a body, even an empty one.
    const content = body === '' || [101, 204, 205, 304].includes(response.status) ? null : body;
    // Fetch takes any three digits from the wire, but builds no Response over 599: such a copy is
    // built as a 599, then given the real status (and `ok`), as its url is below.
    const wireOnly = response.status > 599;
    const init = { status: wireOnly ? 599 : response.status, statusText: redactText(response.statusText, secrets), headers };
    const bare = new Response(content, init);
    if (wireOnly) Object.defineProperties(bare, { status: { value: response.status, enumerable: true }, ok: { value: false, enumerable: true } });
    // A built Response has an empty url; set before `withFacts`, which copies both onto its own copy.
    Object.defineProperty(bare, 'url', { value: redactUrlWith(response.url, secrets), enumerable: true });
    Object.defineProperty(bare, 'redirected', { value: response.redirected, enumerable: true });
    const facts = factsOf(response);
    return facts === undefined ? bare : withFacts(bare, facts);
  } catch {
    return Response.error();
  }
}
