/**
 * The facts of a failed run kept in its request record, so that a re-run (or a caller that
 * waited for it) learns what the first run learnt: redacted, each text capped, at most 20 details.
 */
export interface RecordedFailure {
  /** The error code, e.g. `VALIDATION_ERROR` or `HTTP_422`. */
  readonly code: string;
  /** The server's message (`HttpError.serverMessage`), or the error's message when no answer was read. */
  readonly message: string;
  /** The HTTP status of the failed answer, when there was one. */
  readonly status?: number;
  /** The field-level problems the server reported (`HttpError.details`). */
  readonly details?: ReadonlyArray<{
    /** The field path, e.g. `shipTo.email`; `''` for a problem not tied to a field. */
    readonly field: string;
    /** What is wrong with it. */
    readonly message: string;
  }>;
  /** `true` when the failure is terminal (the record is `failed`); `false` when the run gave up on a transient one. */
  readonly terminal?: boolean;
}
