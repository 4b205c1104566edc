import { factsOf } from '../core/call-facts.js';

/**
 * When to try again, as epoch ms, for an error that says so, however it was wrapped: a
 * `RetryLaterError` (a server wait longer than the call may take), an `IdempotencyError`
 * `IDEMPOTENCY_IN_PROGRESS` (another worker holds the scope), a `CircuitOpenError`, an
 * `HttpError` of a wait — or any error with a numeric `retryAt` — found on the error itself or
 * along its `cause` chain (ofetch's `FetchError`, axios's error), or a wait answer that a client
 * turned into its own error (ky's `HTTPError`, ofetch's `FetchError` of a 429 through
 * {@link forClient}). `undefined` when nothing says when.
 *
 * @example
 * ```ts
 * const retryAt = retryAtOf(error);
 * if (retryAt !== undefined) await job.moveToDelayed(retryAt, token);
 * ```
 */
export function retryAtOf(error: unknown): number | undefined {
  const seen = new Set<unknown>();
  let current = error;
  while (typeof current === 'object' && current !== null && !seen.has(current) && seen.size < 8) {
    seen.add(current);
    const retryAt = (current as { retryAt?: unknown }).retryAt;
    if (typeof retryAt === 'number' && Number.isFinite(retryAt)) return retryAt;
    current = (current as { cause?: unknown }).cause;
  }
  return factsOf(error)?.retryAt;
}
