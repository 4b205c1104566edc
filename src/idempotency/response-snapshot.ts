import { fromBase64, toBase64, toHex } from '../core/bytes.js';
import { isSecretHeaderName, redactText } from '../core/redact.js';
import { readUpTo, type BodyReadLimit } from '../verdict/response-body.js';
import type { StoredResponse } from '../store/record.js';
import type { RequestSpec } from '../core/types.js';
import { multipartIdentity } from './multipart-identity.js';

// The stored body is already decoded by fetch, and framing is redone on replay.
const unstoredHeaders = new Set(['content-encoding', 'content-length', 'transfer-encoding', 'connection', 'keep-alive']);
const nullBodyStatuses = new Set([101, 103, 204, 205, 304]);
const textType = /^(?:text\/|application\/(?:[\w.+-]*\+)?(?:json|xml)|application\/(?:javascript|x-www-form-urlencoded))/i;

/**
 * A storable copy of a response: status, headers without credentials (`set-cookie`, tokens,
 * a `Link` URL's `api_key=` value) or framing, and the body as text when it is text, else base64. `undefined` when the body
 * is larger than `maxBodyBytes` (nothing is read past it) or is an event stream. Reads
 * `response` (pass a clone) within `limit`: a body that stalls rejects with a
 * `BodyTimeoutError` and is cancelled. The request's credentials (`secrets`, from
 * `requestSecrets`) are removed from the stored headers wherever the server echoed them (a
 * `Location` with `?auth=`, a header quoting the key). The body is kept as it came: a replay
 * must give what the API answered.
 *
 * @example
 * ```ts
 * const snapshot = await snapshotResponse(response.clone(), 1_048_576, bodyReadLimit(ctx));
 * ```
 */
export async function snapshotResponse(response: Response, maxBodyBytes: number, limit?: BodyReadLimit, secrets: readonly string[] = []): Promise<StoredResponse | undefined> {
  // A stream of events may never end: it is not waited for, and cannot be replayed anyway.
  if (/^text\/event-stream/i.test(response.headers.get('content-type') ?? '')) return undefined;
  const bytes = await readUpTo(response, maxBodyBytes, limit);
  if (bytes === undefined) return undefined;
  const headers: Record<string, string> = {};
  for (const [name, value] of response.headers) {
    // A credential inside another header (a `Link` with `?api_key=`) must not be stored either.
    if (!unstoredHeaders.has(name) && !isSecretHeaderName(name)) headers[name] = redactText(value, secrets);
  }
  const text = textType.test(response.headers.get('content-type') ?? '') ? utf8(bytes) : undefined;
  return text === undefined
    ? { status: response.status, headers, body: toBase64(bytes), bodyEncoding: 'base64' }
    : { status: response.status, headers, body: text, bodyEncoding: 'utf8' };
}

/**
 * A fresh `Response` from a stored snapshot, for a call whose scope already succeeded.
 *
 * @example
 * ```ts
 * return replayResponse(record.response);
 * ```
 */
export function replayResponse(stored: StoredResponse): Response {
  const body = stored.bodyEncoding === 'base64' ? fromBase64(stored.body) : stored.body;
  return new Response(nullBodyStatuses.has(stored.status) ? null : body, { status: stored.status, headers: stored.headers });
}

/**
 * A hash of what identifies a request (method, URL, body bytes), to tell a scope reused for a
 * different request from a re-run of the same one. A one-shot stream body is not read. A
 * `multipart/form-data` body (a `FormData`) counts by its parts, not by the random boundary
 * `fetch` draws for each serialization, so a re-run with the same form has the same hash.
 *
 * @example
 * ```ts
 * await fingerprintRequest(ctx.request); // 'sha256:9f86d0…'
 * ```
 */
export async function fingerprintRequest(request: RequestSpec): Promise<string> {
  const head = new TextEncoder().encode(`${request.method} ${request.url}\n`);
  const body = request.body instanceof Uint8Array ? multipartIdentity(request.body, request.headers.get('content-type')) : new TextEncoder().encode(request.body === null ? '' : '<stream>');
  const data = new Uint8Array(head.length + body.length);
  data.set(head);
  data.set(body, head.length);
  const digest = await crypto.subtle.digest('SHA-256', data);
  return `sha256:${toHex(new Uint8Array(digest))}`;
}

function utf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
