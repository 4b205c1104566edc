/**
 * ofetch's `FetchError` without the request's secrets. ofetch builds its error with read-only,
 * non-configurable getters over its private context (`request`, `options`, `response`, `data`,
 * `status`, ...), so the error cannot be cleaned in place: it is replaced by a new `FetchError`
 * with the same getters over redacted copies.
 */
import { FetchError, createFetchError, type FetchContext, type FetchOptions, type FetchRequest, type FetchResponse } from 'ofetch';
import { bodyFailureOf } from '../core/call-facts.js';
import { REDACTED, redactText } from '../core/redact.js';
import { composedTextSecrets, redactUrlWith } from '../core/request-secrets.js';
import { redactData, redactParams } from '../core/redact-data.js';
import {
  type HeadersLike,
  errorBodyTimeoutMs,
  maxClientErrorBodyBytes,
  mendedStack,
  readRedactedText,
  redactSentBody,
  redactedHeaders,
  redactedResponse,
  sentSecrets,
} from './redacted-response.js';

/** The context ofetch's error reads from, as the new error's getters read it. */
interface ErrorContext {
  readonly request: FetchRequest | undefined;
  readonly options: FetchOptions | undefined;
  readonly response: Answer | undefined;
}

// The getters ofetch's `createFetchError` defines, and the field of the response each reads.
const CONTEXT_FIELDS = ['request', 'options', 'response'] as const;
const RESPONSE_FIELDS = [
  ['data', '_data'], ['status', 'status'], ['statusCode', 'status'], ['statusText', 'statusText'], ['statusMessage', 'statusText'],
] as const;

/**
 * A copy of ofetch's `FetchError` without the credentials the request carried (see
 * `sentSecrets`: ofetch's view of the request, and the request surefetch sent for the answer):
 * in its `message` and `stack`, the request URL, the options' headers, body, `baseURL`, `query`
 * and `params` (credential-named entries by name), the response's headers and URL, and the
 * server's body in `data` (and `response._data`), which is walked as parsed data (see
 * `redactData`: at most 1 Mi characters, a `Map` copied, an object of another class
 * `'[redacted]'`). Still a `FetchError` with the same `name`,
 * `status`, `statusText` and `cause` (the very object), and `factsOf` still reads surefetch's
 * facts from it. Any other value (surefetch's own errors, already clean; the caller's abort
 * reason) is returned as it is. Never rejects, never waits longer than the call's body timeout.
 * @internal
 *
 * @example
 * ```ts
 * try { return await api(url, options); } catch (error) { throw await scrubFetchError(error); }
 * ```
 */
export async function scrubFetchError(error: unknown): Promise<unknown> {
  if (!(error instanceof FetchError)) return error;
  try {
    return await rebuild(error);
  } catch {
    return new FetchError(`ofetch's error could not be redacted; its details are left out ${REDACTED}`, causeOf(error));
  }
}

/**
 * ofetch reads a refused answer's body before it builds its `FetchError`, and a read that fails
 * leaves ofetch bare: the read's error. When that error is surefetch's (a body that stalled, see
 * `forClient`), this builds the `FetchError` ofetch builds for the answer, from the request and
 * options ofetch passed to fetch, with the answer (status, facts; no `data`) and that error as
 * its `cause`. Any other value is returned as it is. @internal
 *
 * @example
 * ```ts
 * try { return await api(url, options); } catch (error) { throw await scrubFetchError(asFetchError(error)); }
 * ```
 */
export function asFetchError(error: unknown): unknown {
  const failure = bodyFailureOf(error);
  if (failure === undefined || error instanceof FetchError) return error;
  const context = { request: failure.input, options: failure.init ?? {}, response: failure.answer, error };
  return createFetchError(context as FetchContext);
}

async function rebuild(error: FetchError): Promise<FetchError> {
  const { request, options, response } = error as ErrorContext & FetchError;
  const url = urlOf(request);
  // JSON is a string by the time ofetch's error holds its options; a form may be URLSearchParams.
  const headers = headersOf(request, options?.headers);
  const secrets = sentSecrets({ url: url ?? '', headers, body: options?.body }, response);
  const timeoutMs = errorBodyTimeoutMs(options?.surefetch);
  const context: ErrorContext = {
    request: redactRequest(request, secrets),
    options: options === undefined ? undefined : redactOptions(options, secrets),
    response: response === undefined ? undefined : await redactAnswer(response, secrets, timeoutMs),
  };
  // ofetch quotes the URL as JSON: that quote becomes the redacted URL's, then the rest is redacted.
  let message = error.message;
  if (url !== undefined) message = message.split(JSON.stringify(url)).join(JSON.stringify(redactUrlWith(url, secrets)));
  // ofetch's own text (the method, the URL, the status): see composedTextSecrets.
  message = redactText(message, composedTextSecrets(secrets));
  const copy = new FetchError(message, causeOf(error));
  for (const name of CONTEXT_FIELDS) Object.defineProperty(copy, name, { get: () => context[name] });
  for (const [name, field] of RESPONSE_FIELDS) Object.defineProperty(copy, name, { get: () => context.response?.[field] });
  const stack = mendedStack(error.stack, error.message, message, secrets);
  Object.defineProperty(copy, 'stack', { value: stack, writable: true, configurable: true, enumerable: false });
  return copy;
}

/** The cause goes on as the very object (the caller's abort reason, surefetch's own error). */
function causeOf(error: FetchError): { cause: unknown } | undefined {
  return error.cause === undefined ? undefined : { cause: error.cause };
}

function urlOf(request: FetchRequest | undefined): string | undefined {
  if (request === undefined) return undefined;
  return request instanceof Request ? request.url : String(request);
}

/** ofetch sends the options' headers over those of a `Request` it was given. */
function headersOf(request: FetchRequest | undefined, optionHeaders: HeadersLike | undefined): Headers {
  const headers = new Headers(request instanceof Request ? request.headers : undefined);
  try {
    new Headers(optionHeaders).forEach((value, name) => headers.set(name, value));
  } catch {
    // Headers ofetch could not have sent either.
  }
  return headers;
}

function redactRequest(request: FetchRequest | undefined, secrets: readonly string[]): FetchRequest | undefined {
  if (request === undefined) return undefined;
  const url = redactUrlWith(urlOf(request) ?? '', secrets);
  if (!(request instanceof Request)) return url;
  try {
    const headers = redactedHeaders(request.headers, secrets);
    return new Request(url, { method: request.method, headers, redirect: request.redirect });
  } catch {
    return url;
  }
}

function redactOptions(options: FetchOptions, secrets: readonly string[]): FetchOptions {
  const copy: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    if (name === 'headers') copy[name] = redactedHeaders(value as HeadersLike, secrets);
    else if (name === 'body') copy[name] = redactSentBody(value, secrets);
    else if (name === 'baseURL' && typeof value === 'string') copy[name] = redactUrlWith(value, secrets);
    // Not applied to a `Request`, so never sent: credentials go by name too.
    else if (name === 'query' || name === 'params') copy[name] = redactParams(value, secrets);
    // The rest: strings and plain objects (`surefetch`) redacted; hooks, signals kept.
    else copy[name] = redactData(value, secrets);
  }
  return copy as FetchOptions;
}

type Answer = FetchResponse<unknown>;

async function redactAnswer(response: Answer, secrets: readonly string[], timeoutMs: number): Promise<Answer> {
  const data = response._data;
  // `responseType: 'stream'`: the data is the unread body; the copy gets a redacted one.
  if (data instanceof ReadableStream) {
    const text = await readStream(data as ReadableStream<Uint8Array>, secrets, timeoutMs);
    const copy: Answer = redactedResponse(response, text, secrets);
    copy._data = copy.body ?? new Response('').body;
    return copy;
  }
  const copy: Answer = redactedResponse(response, null, secrets);
  if ('_data' in response) copy._data = await redactAnswerData(data, secrets);
  return copy;
}

async function readStream(stream: ReadableStream<Uint8Array>, secrets: readonly string[], timeoutMs: number): Promise<string> {
  try {
    return await readRedactedText(new Response(stream), secrets, timeoutMs);
  } catch {
    // A stream a hook already read or locked.
    return '';
  }
}

/**
 * ofetch's parsed body: JSON values, text, a `Blob` or an `ArrayBuffer`, or what a custom
 * `parseResponse` built (a `Map` is walked; a class instance becomes `'[redacted]'`, see `redactData`).
 */
async function redactAnswerData(data: unknown, secrets: readonly string[]): Promise<unknown> {
  if (data instanceof Blob) {
    if (data.size > maxClientErrorBodyBytes) return REDACTED;
    const text = await data.text();
    const clean = redactText(text, secrets);
    return clean === text ? data : new Blob([clean], { type: data.type });
  }
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    if (data.byteLength > maxClientErrorBodyBytes) return REDACTED;
    const view = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const text = new TextDecoder().decode(view);
    const clean = redactText(text, secrets);
    // Binary data that holds no secret is kept byte for byte.
    if (clean === text) return data;
    const encoded = new TextEncoder().encode(clean);
    return data instanceof ArrayBuffer ? encoded.buffer : encoded;
  }
  return redactData(data, secrets, { others: 'redact' });
}
