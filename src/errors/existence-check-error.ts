import { SurefetchError } from './errors.js';

/** A listed resource that has a create's identifying keys and was created in its window, but differs. */
export interface NearMatch {
  /** The resource's id (or its JSON when it has none). */
  readonly id: string;
  /** Paths of the fields that differ from what the create sent, e.g. `shipTo.name`. */
  readonly differences: readonly string[];
}

/**
 * The existence check could not decide whether an earlier attempt of a create landed (the
 * lookup failed or answered something other than a well-formed list, it found more than one
 * match, or a near match: a resource that looks like this call's but differs in some field). Nothing was re-sent:
 * reconcile by `clientRequestId` before trying again.
 *
 * @example
 * ```ts
 * if (error instanceof ExistenceCheckError) await parkForReview(error.clientRequestId);
 * ```
 */
export class ExistenceCheckError extends SurefetchError {
  /** The client request id of the call. */
  readonly clientRequestId: string;
  /** Why the check could not decide. */
  readonly reason: string;
  /** Near matches found (same identifying keys, created in the window, other fields differ): for a person to judge. */
  readonly nearMatches: readonly NearMatch[];

  /** @param init - the call and why the check could not decide; `cause` is the lookup's error */
  constructor(init: { operation: string; clientRequestId: string; reason: string; nearMatches?: readonly NearMatch[] }, options?: ErrorOptions) {
    super(
      'EXISTENCE_CHECK_FAILED',
      `${init.operation}: could not tell whether an earlier attempt landed (${init.reason}); not re-sent. Client request id: ${init.clientRequestId}`,
      options,
    );
    this.clientRequestId = init.clientRequestId;
    this.reason = init.reason;
    this.nearMatches = init.nearMatches ?? [];
  }
}
