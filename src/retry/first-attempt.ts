/**
 * Sends attempt 1 without p-retry, which most calls need no more than that: its answer is
 * returned as it is. When it fails (or the caller aborted), what is returned is the input for
 * p-retry, whose first attempt replays that outcome, so that every step after it is p-retry's
 * own, as if p-retry had run attempt 1 itself.
 *
 * @example
 * ```ts
 * const first = await firstAttempt(ctx.signal, attemptOnce);
 * if (typeof first !== 'function') return first;
 * return pRetry(first, options);
 * ```
 */
export async function firstAttempt(
  signal: AbortSignal,
  attemptOnce: (attempt: number) => Promise<Response>,
): Promise<Response | ((attempt: number) => Promise<Response>)> {
  // p-retry looks at the signal before and after each attempt: an abort takes its path.
  if (signal.aborted) return attemptOnce;
  let outcome: Promise<Response>;
  try {
    const response = await attemptOnce(1);
    if (!signal.aborted) return response;
    outcome = Promise.resolve(response);
  } catch (error) {
    outcome = Promise.reject(error);
    outcome.catch(() => undefined);
  }
  return (attempt: number) => (attempt === 1 ? outcome : attemptOnce(attempt));
}
