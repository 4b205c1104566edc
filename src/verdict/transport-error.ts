import isNetworkError from 'is-network-error';
import { NetworkError } from '../errors/errors.js';
import { redactText } from '../core/redact.js';
import { isPermanentTlsFailure, isTlsHandshakeFailure } from './tls-failure.js';
import type { SentState } from '../core/types.js';

// Codes raised before a single byte of the request can have reached the server.
const notSentCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * The first error `code` found in an error's cause chain (including the members of an
 * `AggregateError`, which Node raises when every address of a host refused).
 *
 * @example
 * ```ts
 * causeCodeOf(new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) })); // 'ECONNREFUSED'
 * ```
 */
export function causeCodeOf(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (current === null || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code.length > 0) return code;
    queue.push((current as { cause?: unknown }).cause);
    const members = (current as { errors?: unknown }).errors;
    if (Array.isArray(members)) queue.push(...members);
  }
  return undefined;
}

/**
 * Whether `error` is a network error that left its request out unanswered: sent, maybe, and no
 * answer heard. A transport's own timeout (undici's headers timeout, a socket's `ETIMEDOUT`) is
 * one; so is a connection reset or closed after the request may have been written, since the server may go
 * on with what it received (a socket timeout that destroys the connection, not the handler).
 *
 * @example
 * ```ts
 * if (isUnansweredNetworkError(error)) waitBeforeBelievingAbsence();
 * ```
 */
export function isUnansweredNetworkError(error: unknown): boolean {
  return error instanceof NetworkError && error.sent === 'ambiguous';
}

/**
 * The sent state implied by a transport error code: `not-sent` for refusals, DNS failures,
 * connect timeouts and TLS handshake failures of any code (see `isTlsHandshakeFailure`);
 * `ambiguous` for everything else (a reset or a timeout after the request may have been written).
 *
 * @example
 * ```ts
 * sentStateOfCode('ECONNRESET'); // 'ambiguous'
 * ```
 */
export function sentStateOfCode(code: string | undefined): SentState {
  return code !== undefined && (notSentCodes.has(code) || isTlsHandshakeFailure(code)) ? 'not-sent' : 'ambiguous';
}

/**
 * Whether a transport error code means retrying cannot help: a TLS handshake that failed on the
 * certificate or on a configuration mismatch (see `isPermanentTlsFailure`).
 *
 * @example
 * ```ts
 * isPermanentTransportCode('CERT_HAS_EXPIRED'); // true
 * ```
 */
export function isPermanentTransportCode(code: string | undefined): boolean {
  return isPermanentTlsFailure(code);
}

/**
 * Turns what a fetch implementation threw into a {@link NetworkError}, or returns `undefined`
 * when it is not a transport failure (a programming error, an invalid URL). `secrets` (the
 * request's credentials) are removed from the message, which quotes the error when it has no code.
 *
 * @example
 * ```ts
 * try { await fetch(url); } catch (error) { const network = toNetworkError(error); }
 * ```
 */
export function toNetworkError(
  error: unknown,
  attempts = 1,
  secrets: readonly string[] = [],
): NetworkError | undefined {
  if (error instanceof NetworkError) return error;
  const code = causeCodeOf(error);
  const looksNetwork =
    isNetworkError(error) ||
    (error instanceof Error && code !== undefined && (/^(E[A-Z]+|UND_ERR_)/.test(code) || isTlsHandshakeFailure(code)));
  if (!looksNetwork) return undefined;
  // The fetch standard's blocked ports (1, 9, 6000, …): fetch refuses them before connecting.
  const badPort = code === undefined && error instanceof Error && (error.cause as { message?: unknown } | undefined)?.message === 'bad port';
  const detail = badPort ? 'the port is on fetch\'s list of blocked ports; nothing was sent' : (code ?? (error instanceof Error ? error.message : 'unknown'));
  scrubRawAnswer(error, secrets);
  return new NetworkError(
    { sent: badPort ? 'not-sent' : sentStateOfCode(code), causeCode: code, message: `network failure (${redactText(detail, secrets)})`, attempts },
    { cause: error },
  );
}

// undici's parser error keeps the answer it could not parse in `data`; a server that echoes
// the request puts the request's credentials there, and `console.log(error)` prints the chain.
function scrubRawAnswer(error: unknown, secrets: readonly string[]): void {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1) {
    const data = (e as { data?: unknown }).data;
    if (data === undefined || data === null || data === '') continue;
    const scrubbed = typeof data === 'string' ? redactText(data, secrets) : `[${describeBytes(data)} withheld by surefetch]`;
    try {
      Object.defineProperty(e, 'data', { value: scrubbed, writable: true, configurable: true, enumerable: true });
    } catch {
      // A frozen error keeps its own; nothing else to do.
    }
  }
}

function describeBytes(data: unknown): string {
  const length = (data as { length?: unknown }).length;
  return typeof length === 'number' ? `${String(length)} bytes of the answer` : 'the raw answer';
}
