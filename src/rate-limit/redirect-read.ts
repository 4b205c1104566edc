import { RedirectError } from '../errors/redirect-error.js';
import { HttpError } from '../verdict/http-error.js';
import { urlOf } from '../pipeline/request-spec.js';
import type { RequestSpec } from '../core/types.js';

/**
 * The answer a write's origin gave the GET that read the write's result after a 301/302/303,
 * when that GET failed (`REDIRECT_FAILED`, its `HttpError` as cause): the write is not sent
 * again on its word, but a 429 there is still the API's word on its budget, which the calls
 * that follow must heed. Rebuilt as a `Response` of its status and (redacted) headers for
 * `rateLimit` to learn from. `undefined` for any other failure, and for a GET to another origin,
 * whose answer speaks for that origin only (and which the request's credentials did not reach).
 *
 * @example
 * ```ts
 * const read = redirectReadAnswer(error, ctx.request); // Response { status: 429, headers: { 'retry-after': '1' } }
 * ```
 */
export function redirectReadAnswer(error: unknown, request: RequestSpec): Response | undefined {
  if (!(error instanceof RedirectError) || error.code !== 'REDIRECT_FAILED' || !(error.cause instanceof HttpError)) return undefined;
  const { url, status, headers } = error.cause;
  try {
    if (new URL(url).origin !== urlOf(request).origin) return undefined;
    return new Response(null, { status, headers });
  } catch {
    // A status a Response cannot have (below 200, above 599), or a URL that does not parse: nothing to learn.
    return undefined;
  }
}
