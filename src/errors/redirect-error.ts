import { SurefetchError } from './errors.js';
import type { SentState, Verdict } from '../core/types.js';

/**
 * Why a redirect was not followed: `REDIRECT_REFUSED` (a 301/302/303 that would turn a request
 * other than GET/HEAD into a GET, a 307/308 for a one-shot body that cannot be sent again, a
 * `Location` that is not an http(s) URL, or any redirect with `redirect: 'error'`),
 * `TOO_MANY_REDIRECTS` (more hops than `redirects.max`: a loop, most likely), or
 * `REDIRECT_FAILED` (a write answered 301/302/303 was followed as a GET, with
 * `redirects.followAsGet`, and that GET failed, timed out or was answered anything but 2xx: the
 * write may have been applied; `cause` is the GET's `HttpError` or transport error).
 */
export type RedirectErrorCode = 'REDIRECT_REFUSED' | 'TOO_MANY_REDIRECTS' | 'REDIRECT_FAILED';

/** The fields of a {@link RedirectError}. */
export type RedirectErrorInit = Pick<
  RedirectError,
  'status' | 'location' | 'method' | 'url' | 'sent' | 'operation' | 'reason'
> & {
  /** Which refusal. */
  readonly code: RedirectErrorCode;
};

/**
 * A redirect surefetch did not follow, or whose hop failed after a write. Terminal: never retried. `sent` is `ambiguous` when the
 * server may have applied the request before redirecting (a 301/302/303 answered to a POST is
 * how many servers say "created, see there"), else `delivered`. `location` and `url` are
 * redacted.
 *
 * @example
 * ```ts
 * if (error instanceof RedirectError && error.code === 'REDIRECT_REFUSED') console.log('moved to', error.location);
 * ```
 */
export class RedirectError extends SurefetchError {
  declare readonly code: RedirectErrorCode;
  /** The redirect status (301, 302, 303, 307, 308). */
  readonly status: number;
  /** Where the server pointed, absolute, with credentials redacted; `''` when unreadable. */
  readonly location: string;
  /** The method of the request that was redirected. */
  readonly method: string;
  /** The URL that answered the redirect, with credentials redacted. */
  readonly url: string;
  /** Whether the server may have applied the request. */
  readonly sent: SentState;
  /** Always `terminal`. */
  readonly verdict: Verdict = 'terminal';
  /** The operation name. */
  readonly operation: string;
  /** Why it was not followed, for people. */
  readonly reason: string;

  /** @param init - the redirect and why it was not followed */
  constructor(init: RedirectErrorInit, options?: ErrorOptions) {
    const where = init.location || '(no location)';
    const outcome = init.code === 'REDIRECT_FAILED' ? 'followed, but' : 'not followed:';
    super(init.code, `${init.operation}: HTTP ${init.status} to ${where} ${outcome} ${init.reason}`, options);
    this.status = init.status;
    this.location = init.location;
    this.method = init.method;
    this.url = init.url;
    this.sent = init.sent;
    this.operation = init.operation;
    this.reason = init.reason;
  }
}
