/**
 * Errors that stopped an attempt before its request left (the terminal send's `beforeSend`
 * hook failed: the record of the send could not be written). What fails there is no transport
 * error, so nothing else says the request was not sent; without this mark such an error reads
 * as ambiguous, and a create never sent would end in `AmbiguousOutcomeError`.
 */
const unsent = new WeakSet<object>();

/**
 * Marks `error` as thrown before the request left, and returns it. @internal
 *
 * @example
 * ```ts
 * return before.then(() => sendNow(ctx), (error: unknown) => Promise.reject(markUnsent(error)));
 * ```
 */
export function markUnsent(error: unknown): unknown {
  if (typeof error === 'object' && error !== null) unsent.add(error);
  return error;
}

/**
 * Whether `error` stopped an attempt before its request left (see {@link markUnsent}). @internal
 *
 * @example
 * ```ts
 * if (wasUnsent(error)) return { verdict: 'terminal', sent: 'not-sent', reason };
 * ```
 */
export function wasUnsent(error: unknown): boolean {
  return typeof error === 'object' && error !== null && unsent.has(error);
}
