import { SurefetchError } from './errors.js';

/**
 * The code events and classifications name a failure by: a surefetch error's `code`, another
 * error's `name` (`TypeError`, `AbortError`); `undefined` for a thrown value that is no error.
 * @internal
 *
 * @example
 * ```ts
 * errorCodeOf(new DOMException('gone', 'AbortError')) ?? 'UNKNOWN'; // 'AbortError'
 * ```
 */
export function errorCodeOf(error: unknown): string | undefined {
  return error instanceof SurefetchError ? error.code : error instanceof Error ? error.name : undefined;
}
