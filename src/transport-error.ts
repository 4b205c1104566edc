import isNetworkError from 'is-network-error';
import { NetworkError } from './errors.js';
import type { SentState } from './types.js';

// Failures that retrying the same request cannot cure (a certificate will not fix itself).
const permanentCodes = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

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
  ...permanentCodes,
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
 * The sent state implied by a transport error code: `not-sent` for refusals, DNS failures and
 * connect timeouts; `ambiguous` for everything else (a reset or a timeout after the request
 * may have been written).
 *
 * @example
 * ```ts
 * sentStateOfCode('ECONNRESET'); // 'ambiguous'
 * ```
 */
export function sentStateOfCode(code: string | undefined): SentState {
  return code !== undefined && notSentCodes.has(code) ? 'not-sent' : 'ambiguous';
}

/**
 * Whether a transport error code means retrying cannot help (TLS certificate problems).
 *
 * @example
 * ```ts
 * isPermanentTransportCode('CERT_HAS_EXPIRED'); // true
 * ```
 */
export function isPermanentTransportCode(code: string | undefined): boolean {
  return code !== undefined && permanentCodes.has(code);
}

/**
 * Turns what a fetch implementation threw into a {@link NetworkError}, or returns `undefined`
 * when it is not a transport failure (a programming error, an invalid URL).
 *
 * @example
 * ```ts
 * try { await fetch(url); } catch (error) { const network = toNetworkError(error); }
 * ```
 */
export function toNetworkError(error: unknown, attempts = 1): NetworkError | undefined {
  if (error instanceof NetworkError) return error;
  const code = causeCodeOf(error);
  const looksNetwork = isNetworkError(error) || (error instanceof Error && code !== undefined && /^(E[A-Z]+|UND_ERR_|ERR_TLS|ERR_SSL|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED)/.test(code));
  if (!looksNetwork) return undefined;
  const detail = code ?? (error instanceof Error ? error.message : 'unknown');
  return new NetworkError(
    { sent: sentStateOfCode(code), causeCode: code, message: `network failure (${detail})`, attempts },
    { cause: error },
  );
}
