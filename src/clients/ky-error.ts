/**
 * ky's `HTTPError` without the request's secrets, as a `beforeError` hook: ky lets that hook
 * return the error to throw, so the hook returns a new `HTTPError` built from redacted copies of
 * the request, the options and the answer (whose body is read, bounded, and redacted).
 */
import { HTTPError, type NormalizedOptions } from 'ky';
import { REDACTED, redactText } from '../core/redact.js';
import { composedTextSecrets, redactUrlWith } from '../core/request-secrets.js';
import { redactData, redactParams } from '../core/redact-data.js';
import {
  errorBodyTimeoutMs,
  mendedStack,
  readRedactedText,
  redactSentBody,
  redactedHeaders,
  redactedResponse,
  sentSecrets,
  sentText,
} from './redacted-response.js';

// The fields HTTPError's constructor sets, and those every Error has.
const BUILT_FIELDS = new Set(['response', 'request', 'options', 'name', 'message', 'stack', 'cause']);
const BODYLESS_METHODS = new Set(['GET', 'HEAD']);

/**
 * A copy of ky's `HTTPError` without the credentials the request carried (see
 * `sentSecrets`: ky's view of the request, and the request surefetch sent for the answer, whose
 * body ky may never have read, a `Request` input's): in its `message` and `stack`, `request`
 * (URL, headers, body), `options` (`headers`, `body`, `json`, `prefixUrl`, `searchParams`, whose
 * credential-named entries go by name, ...) and `response` (headers, URL,
 * and the server's body, read up to 1 MiB within the call's `surefetch.bodyTimeoutMs`, 10 s when
 * unset, and cut there if it stalls). Still an `HTTPError` with the same `name`, status and
 * `cause`, and `factsOf` still reads surefetch's facts from it. Another value is returned as it
 * is. Never rejects. Used as surefetchKy's first `beforeError` hook, so the hooks after it
 * (yours) see the clean error. @internal
 *
 * @example
 * ```ts
 * ky.create({ hooks: { beforeError: [scrubHttpError] } });
 * ```
 */
export async function scrubHttpError(error: HTTPError): Promise<HTTPError> {
  if (!(error instanceof HTTPError)) return error;
  try {
    return await rebuild(error);
  } catch {
    return bareError(error);
  }
}

/** When a copy cannot be built, the error keeps its status and nothing else. */
function bareError(error: HTTPError): HTTPError {
  const status = (error.response as Response | undefined)?.status ?? 0;
  error.response?.body?.cancel().catch(() => undefined);
  const answer = status >= 200 && status <= 599 ? new Response(null, { status }) : Response.error();
  const bare = new HTTPError(answer, new Request('http://redacted.invalid/'), Object.freeze({}) as NormalizedOptions);
  bare.message = `ky's error could not be redacted; its details are left out ${REDACTED}`;
  return bare;
}

async function rebuild(error: HTTPError): Promise<HTTPError> {
  const { request, options, response } = error;
  const body = sentText(options.body);
  // The request's headers are what was sent (hooks may have changed them); the options' add any missing.
  const headers = new Headers();
  sentHeaders(options.headers).forEach((value, name) => headers.set(name, value));
  request.headers.forEach((value, name) => headers.set(name, value));
  const secrets = sentSecrets({ url: request.url, headers, body: options.body }, response);
  const callOptions = (options as { surefetch?: unknown }).surefetch;
  const text = await readRedactedText(response, secrets, errorBodyTimeoutMs(callOptions));
  const cleanResponse = redactedResponse(response, text, secrets);
  // ky gives its answers a `json()` that uses the `parseJson` option; so does the copy.
  const { parseJson } = options as { parseJson?: unknown };
  if (typeof parseJson === 'function') {
    const json = async (): Promise<unknown> => (parseJson as (text: string) => unknown)(await cleanResponse.text());
    Object.defineProperty(cleanResponse, 'json', { value: json, writable: true, configurable: true });
  }
  const cleanOptions = redactOptions(options, secrets);
  const copy = new HTTPError(cleanResponse, redactRequest(request, body, secrets), cleanOptions);
  // ky's own text (the status, the method, the URL): see composedTextSecrets.
  copy.message = redactText(copy.message, composedTextSecrets(secrets));
  if (error.cause !== undefined) copy.cause = error.cause;
  // Fields a later ky adds (or a hook set) are the server's or the caller's data: walked too.
  for (const [name, value] of Object.entries(error)) {
    if (!BUILT_FIELDS.has(name)) Object.assign(copy, { [name]: redactData(value, secrets) });
  }
  copy.stack = mendedStack(error.stack, error.message, copy.message, secrets);
  return copy;
}

function sentHeaders(headers: unknown): Headers {
  try {
    return new Headers(headers as Headers);
  } catch {
    return new Headers();
  }
}

function redactRequest(request: Request, body: string | undefined, secrets: readonly string[]): Request {
  const url = redactUrlWith(request.url, secrets);
  const headers = redactedHeaders(request.headers, secrets);
  const init = { method: request.method, headers, redirect: request.redirect, signal: request.signal };
  const hadBody = request.body !== null && !BODYLESS_METHODS.has(request.method.toUpperCase());
  try {
    if (!hadBody) return new Request(url, init);
    return new Request(url, { ...init, body: body === undefined ? REDACTED : redactText(body, secrets) });
  } catch {
    return new Request(url, { method: request.method, headers });
  }
}

function redactOptions(options: NormalizedOptions, secrets: readonly string[]): NormalizedOptions {
  const copy: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    if (name === 'headers') copy[name] = redactedHeaders(value as Headers, secrets);
    else if (name === 'body') copy[name] = redactSentBody(value, secrets);
    else if (name === 'prefixUrl' && typeof value === 'string') copy[name] = redactUrlWith(value, secrets);
    else if (name === 'searchParams') copy[name] = redactParams(value, secrets);
    else if (value instanceof URLSearchParams) copy[name] = new URLSearchParams(redactText(value.toString(), secrets));
    // The rest: strings and plain objects (`json`, `context`, `surefetch`) redacted; functions,
    // signals and the fetch kept.
    else copy[name] = redactData(value, secrets);
  }
  // ky freezes the options it hands to hooks and errors.
  return Object.freeze(copy) as unknown as NormalizedOptions;
}
