/**
 * The base class of every error surefetch decides. `code` is stable and machine-readable;
 * `message` is for people. No error ever carries an Authorization header or an API key.
 *
 * @example
 * ```ts
 * try {
 *   await sureFetch(url);
 * } catch (error) {
 *   if (error instanceof SurefetchError) console.error(error.code, error.message);
 * }
 * ```
 */
export class SurefetchError extends Error {
  /** Stable, machine-readable error code, e.g. `AMBIGUOUS_OUTCOME`. */
  readonly code: string;

  /**
   * @param code - stable machine-readable code
   * @param message - human-readable message
   * @param options - standard `ErrorOptions` (`cause`)
   */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * Tells whether a value is an error surefetch decided.
 *
 * @example
 * ```ts
 * if (isSurefetchError(error)) console.log(error.code);
 * ```
 */
export function isSurefetchError(value: unknown): value is SurefetchError {
  return value instanceof SurefetchError;
}
