import { wasUnsent } from '../core/unsent-errors.js';
import { AttemptTimeoutError, CircuitOpenError, NetworkError, RetryLaterError } from '../errors/errors.js';
import { errorCodeOf } from '../errors/error-code.js';
import { isRateLimitExhausted } from './rate-limit-headers.js';
import { RedirectError } from '../errors/redirect-error.js';
import { parseServerWait } from './server-wait.js';
import { isPermanentTransportCode } from './transport-error.js';
import type { RouteRule, SentState, Verdict } from '../core/types.js';

/** The verdict and sent state of one attempt, and a short reason for logs. */
export interface Classification {
  /** `success`, `terminal`, `wait` or `transient`. */
  readonly verdict: Verdict;
  /** Whether the server may have applied the request: `not-sent`, `ambiguous` or `delivered`. */
  readonly sent: SentState;
  /** A short reason for logs, e.g. `"HTTP 429: rate limited"` or `"ECONNREFUSED"`. */
  readonly reason: string;
}

// 5xx answers that say "this will never work", not "try again".
const permanentServerStatuses = new Set([501, 505, 506, 508, 510, 511]);

/**
 * Classifies an HTTP answer. 429, a 503 that says when to come back and a 403/429 with the
 * rate-limit budget at 0 are waits; 408, 425 and most 5xx are transient (500, 502, 503 and 504
 * leave the outcome ambiguous); other 4xx are terminal. A route rule may override the verdict
 * of a status.
 *
 * @example
 * ```ts
 * classifyResponse(500, new Headers(), undefined, Date.now()); // { verdict: 'transient', sent: 'ambiguous', ... }
 * ```
 */
export function classifyResponse(status: number, headers: Headers, route: RouteRule | undefined, now: number): Classification {
  const override = route?.statusVerdicts?.[status];
  const base = defaultResponseClass(status, headers, now);
  if (override === undefined) return base;
  return { verdict: override, sent: base.sent, reason: `route rule: ${status} is ${override}` };
}

// One shared (frozen) classification per success status: the hot path allocates none.
const successes = new Map<number, Classification>();

function defaultResponseClass(status: number, headers: Headers, now: number): Classification {
  if (status < 400) {
    let success = successes.get(status);
    if (success === undefined) {
      success = Object.freeze({ verdict: 'success', sent: 'delivered', reason: `HTTP ${status}` });
      successes.set(status, success);
    }
    return success;
  }
  if (status === 429) return { verdict: 'wait', sent: 'delivered', reason: 'HTTP 429: rate limited' };
  if (status === 403 && isRateLimitExhausted(status, headers)) {
    return { verdict: 'wait', sent: 'delivered', reason: 'HTTP 403 with the rate-limit budget at 0' };
  }
  if (status === 503 && parseServerWait(headers, { now }) !== undefined) {
    return { verdict: 'wait', sent: 'delivered', reason: 'HTTP 503 with a time to come back' };
  }
  if (status === 408 || status === 425) return { verdict: 'transient', sent: 'delivered', reason: `HTTP ${status}: not processed` };
  if (status >= 500 && !permanentServerStatuses.has(status)) {
    return { verdict: 'transient', sent: 'ambiguous', reason: `HTTP ${status}: may have been applied` };
  }
  return { verdict: 'terminal', sent: 'delivered', reason: `HTTP ${status}` };
}

/**
 * Classifies what an attempt threw. A caller abort is terminal; an open circuit is a wait
 * (nothing was sent); a per-attempt timeout is
 * transient and ambiguous; a refused redirect is terminal with its own sent state; a transport failure is transient with the sent state of its cause
 * code (terminal for certificate failures); anything else (a programming error, a decision of
 * another layer such as {@link RetryLaterError}) is terminal, and ambiguous unless it stopped the
 * attempt before its request left (a record of the send that could not be written).
 *
 * @example
 * ```ts
 * classifyError(error, signal); // { verdict: 'transient', sent: 'not-sent', reason: 'ECONNREFUSED' }
 * ```
 */
export function classifyError(error: unknown, callerSignal: AbortSignal): Classification {
  if (callerSignal.aborted) return { verdict: 'terminal', sent: 'ambiguous', reason: 'aborted by the caller' };
  if (error instanceof CircuitOpenError) return { verdict: 'wait', sent: 'not-sent', reason: 'circuit open' };
  if (error instanceof RedirectError) return { verdict: 'terminal', sent: error.sent, reason: error.code };
  if (error instanceof AttemptTimeoutError) return { verdict: 'transient', sent: 'ambiguous', reason: error.message };
  if (error instanceof NetworkError) {
    const verdict: Verdict = isPermanentTransportCode(error.causeCode) ? 'terminal' : 'transient';
    return { verdict, sent: error.sent, reason: error.causeCode ?? error.message };
  }
  // An inner layer would not take a wait (rateLimit's hold, a breaker's probe): the call stops
  // there. What it held was not sent, or was refused unprocessed, unless the wait followed a send
  // whose outcome nobody heard (its cause says so).
  if (error instanceof RetryLaterError) return { verdict: 'terminal', sent: heardOf(error.cause) ? 'not-sent' : 'ambiguous', reason: error.code };
  const reason = errorCodeOf(error) ?? 'unknown error';
  return { verdict: 'terminal', sent: wasUnsent(error) ? 'not-sent' : 'ambiguous', reason };
}

// Whether a wait's cause leaves no doubt about the send before it: none, or one whose outcome is known.
function heardOf(cause: unknown): boolean {
  if (cause === undefined || cause instanceof CircuitOpenError) return true;
  if (cause instanceof AttemptTimeoutError) return false;
  const sent = (cause as { sent?: unknown } | null)?.sent;
  return sent === 'not-sent' || sent === 'delivered';
}
