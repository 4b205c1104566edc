import { AmbiguousOutcomeError, RetryLaterError } from '../errors/errors.js';
import { ExistenceCheckError } from '../errors/existence-check-error.js';
import type { RequestRecord, StoredResponse, UnansweredSend } from '../store/record.js';
import type { RequestStore } from '../store/request-store.js';
import type { AttemptOutcome, CallContext, Next, ResendDecision } from '../core/types.js';
import type { ExistenceCheck } from './existence-check-contract.js';
import { acquireIdentity, type IdentityLease } from './identity-lease.js';
import { lookupThrough } from './lookup-through.js';
import { claimedByOther, claimResource } from './resource-claims.js';

/** What the existence check of one call needs besides its context: the chain below, its identity hold, its first send. */
export interface CallHandle {
  readonly next: Next;
  readonly lease: IdentityLease | undefined;
  readonly firstSentAt: () => number | undefined;
  readonly unanswered: () => UnansweredSend | undefined;
}

/** How the idempotency layer runs its existence check (see {@link createCheckRunner}). */
export interface CheckRunner {
  /** Whether a re-send after an ambiguous attempt is safe: a key protects it, or the check says. Throws when nothing can decide. */
  readonly decide: (ctx: CallContext, previous: AttemptOutcome, record: RequestRecord | undefined, call: CallHandle) => Promise<ResendDecision>;
  /** Holds the call's identifying keys (see `ExistenceCheck.identity`) before its first send; `undefined` without them. */
  readonly holdIdentity: (ctx: CallContext, clientRequestId: string) => Promise<IdentityLease | undefined>;
  /** Claims the resource a successful create answered with as the call's (best effort). */
  readonly claimResult: (ctx: CallContext, clientRequestId: string, response: StoredResponse | undefined) => Promise<void>;
}

/** Options of {@link createCheckRunner}: the idempotency layer's own. */
export interface CheckRunnerOptions {
  readonly store: RequestStore;
  readonly ttlMs: number;
  readonly leaseMs: number;
  readonly keyHeader: string | undefined;
  readonly existenceCheck: ExistenceCheck | undefined;
}

/**
 * Runs an existence check with what it needs from the idempotency layer: lookups through the
 * chain below, the call's identity hold, its first send time, and resource claims in the store.
 *
 * @example
 * ```ts
 * const runner = createCheckRunner({ store, ttlMs, leaseMs, keyHeader: undefined, existenceCheck });
 * const decision = await runner.decide(ctx, previous, record, { next, lease, firstSentAt: () => record.firstSentAt, unanswered: () => undefined });
 * ```
 */
export function createCheckRunner(options: CheckRunnerOptions): CheckRunner {
  const { store, ttlMs, leaseMs, keyHeader, existenceCheck } = options;
  // Keyed by the create's host and path as well: ids of different resource kinds may coincide.
  const resourceKey = (ctx: CallContext, resourceId: string): string => {
    const { host, pathname } = new URL(ctx.request.url);
    return `${host}${pathname} ${resourceId}`;
  };
  const claimFor = (ctx: CallContext, clientRequestId: string) => (resourceId: string): Promise<boolean> =>
    claimResource(store, resourceKey(ctx, resourceId), { clientRequestId, clock: ctx.clock, ttlMs });

  return {
    async decide(ctx, previous, record, call) {
      if (keyHeader !== undefined) return { action: 'resend' };
      if (existenceCheck !== undefined) {
        const exclusive = (await call.lease?.exclusive()) ?? false;
        const tools = {
          lookup: lookupThrough(call.next, ctx),
          exclusive,
          firstSentAt: call.firstSentAt(),
          unanswered: call.unanswered(),
          claim: claimFor(ctx, ctx.clientRequestId),
          takenByOther: (resourceId: string) => claimedByOther(store, resourceKey(ctx, resourceId), ctx.clientRequestId),
        };
        return existenceCheck(ctx, previous, record, tools).catch((error: unknown) => {
          // "Retry later" from a lookup (a 503 with Retry-After, a wait too long): a call with a
          // scope is re-run safely (its re-run checks first); one without would be sent blind.
          if (record !== undefined || !(error instanceof RetryLaterError)) throw error;
          const reason = `a lookup cannot go on now (${error.message})`;
          throw new ExistenceCheckError({ operation: ctx.operation, clientRequestId: ctx.clientRequestId, reason }, { cause: error });
        });
      }
      throw new AmbiguousOutcomeError({
        clientRequestId: ctx.clientRequestId,
        attempts: previous.attempt,
        operation: ctx.operation,
        reason: 'an earlier run may have sent it and no idempotency key or existence check is configured',
      });
    },
    async holdIdentity(ctx, clientRequestId) {
      const identity = existenceCheck?.identity;
      const keys = identity?.of(ctx.request);
      if (identity === undefined || keys === undefined) return undefined;
      const { holdMs } = identity;
      return acquireIdentity(`${new URL(ctx.request.url).host} ${keys}`, { store, clock: ctx.clock, clientRequestId, leaseMs, holdMs });
    },
    async claimResult(ctx, clientRequestId, response) {
      const resourceOf = existenceCheck?.resourceOf;
      if (resourceOf === undefined || response === undefined || response.bodyEncoding !== 'utf8') return;
      let id: string | undefined;
      try {
        id = resourceOf(JSON.parse(response.body) as unknown, ctx.request);
      } catch {
        return;
      }
      if (id !== undefined) await claimFor(ctx, clientRequestId)(id).catch(() => undefined);
    },
  };
}
