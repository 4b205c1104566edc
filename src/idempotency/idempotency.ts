import { classifyResponse } from '../verdict/classify.js';
import { noteCall } from '../core/call-facts.js';
import { AmbiguousOutcomeError } from '../errors/errors.js';
import { HttpError, toHttpError } from '../verdict/http-error.js';
import { eventOf } from '../core/event-of.js';
import { redactText } from '../core/redact.js';
import { requestSecrets } from '../core/request-secrets.js';
import { IdempotencyError } from '../errors/idempotency-error.js';
import { createRecordWriter } from './record-writer.js';
import { ownerHeartbeat } from './owner-heartbeat.js';
import { sentStateOf } from './sent-state-of.js';
import { fingerprintRequest, replayResponse } from './response-snapshot.js';
import { replayCopy } from './replay-copy.js';
import { createOwnerWait } from './owner-wait.js';
import { previouslyFailed, recordedFailure, refuseUnreadable, unreadableAfterSend } from './failure-facts.js';
import { bodyReadLimit } from '../verdict/response-body.js';
import { memoryStore } from '../store/memory-store.js';
import { guardStore } from '../store/guarded-store.js';
import { checkDurationOption, timeoutLimitMs } from '../pipeline/timing-options.js';
import type { RequestRecord } from '../store/record.js';
import type { CallContext, Middleware, Next, ResendGuard } from '../core/types.js';
import { boundedTimeoutMs, inheritedUnanswered, SendLog, unansweredOf } from './unanswered-send.js';
import { recordedSends } from './recorded-sends.js';
import { createSendTally } from '../core/send-tally.js';
import { unscopedCall } from './unscoped-call.js';
import { createCheckRunner, type CallHandle } from './check-runner.js';
import { defaults, type IdempotencyOptions } from './idempotency-options.js';
import { refuseUnusableIdentity } from './usable-identity.js';
import { contextWith } from '../core/derive-context.js';

export type { ExistenceCheck, ExistenceCheckTools } from './existence-check-contract.js';
export type { IdempotencyOptions } from './idempotency-options.js';

/**
 * The outermost middleware: gives every non-idempotent call with an `idempotencyScope` a
 * request record, claimed atomically in `store` **before the first send**, so that a re-run of
 * the scope (a job retried after a crash) reuses the client request id, replays a stored
 * success without touching the network, and runs the existence check before sending anything
 * when an earlier run may have landed. Writes the `resendGuard` that `retry` consults before
 * re-sending after an ambiguous attempt: an idempotency key (`keyHeader`) or the existence check
 * allows it; with neither the call fails closed with an `AmbiguousOutcomeError`.
 *
 * @example
 * ```ts
 * const sureFetch = createFetch({
 *   middleware: [idempotency({ store: redisStore({ url }), existenceCheck: orderLookup }), retry()],
 * });
 * await sureFetch(`${api}/v1/orders/create`, { method: 'POST', body, surefetch: { idempotencyScope: `${job.id}:order` } });
 * ```
 */
export function idempotency(options: IdempotencyOptions = {}): Middleware {
  checkDurationOption('idempotency', 'storeTimeoutMs', options.storeTimeoutMs);
  // Every layer below talks to the store through this: a store of the caller's own is held to the contract too.
  const store = guardStore(options.store ?? memoryStore(), timeoutLimitMs(options.storeTimeoutMs ?? defaults.storeTimeoutMs));
  const {
    ttlMs = defaults.ttlMs,
    leaseMs = defaults.leaseMs,
    ownerAliveMs = defaults.ownerAliveMs,
    keyHeader,
    existenceCheck,
    waitForOwnerMs = defaults.waitForOwnerMs,
    pollMs = defaults.pollMs,
    maxStoredBodyBytes = defaults.maxStoredBodyBytes,
    requireScope = false,
  } = options;
  const gatewayTimeouts: ReadonlySet<number> = new Set(options.gatewayTimeoutStatuses ?? defaults.gatewayTimeoutStatuses);
  const canDecide = keyHeader !== undefined || existenceCheck !== undefined;
  const heartbeat = ownerHeartbeat(store, ownerAliveMs);

  const runner = createCheckRunner({ store, ttlMs, leaseMs, keyHeader, existenceCheck });
  const { decide, holdIdentity, claimResult } = runner;
  const leaseFor = (ctx: CallContext): number => ctx.clock.now() + leaseMs;
  const waitForOwner = createOwnerWait({ store, waitForOwnerMs, pollMs, heartbeat });
  const refuse = (ctx: CallContext, record: RequestRecord, code: IdempotencyError['code'], message: string, extra: object = {}): IdempotencyError =>
    new IdempotencyError({ code, scope: record.scope, clientRequestId: record.clientRequestId, operation: ctx.operation, message, ...extra });

  /** Down-stream context: the record's client request id, the key header, the check's rewrite, and the guard. */
  function derive(ctx: CallContext, clientRequestId: string, guard: ResendGuard | undefined, sends = ctx.sends): CallContext {
    let request = existenceCheck?.prepare?.(ctx.request, clientRequestId) ?? ctx.request;
    if (keyHeader !== undefined && !request.headers.has(keyHeader)) {
      const headers = new Headers(request.headers);
      headers.set(keyHeader, clientRequestId);
      request = { ...request, headers };
    }
    return contextWith(ctx, { request, clientRequestId, resendGuard: canDecide ? guard : ctx.resendGuard, sends });
  }
  const sendUnscoped = unscopedCall({ runner, gatewayTimeouts, derive });

  async function claimScope(ctx: CallContext, next: Next, scope: string, owner: string, secrets: readonly string[]): Promise<Response> {
    const fingerprint = await fingerprintRequest(ctx.request);
    // A value at the scope's key that is no record stops the call here, before any send (with the id of a record read before, if any).
    const readable = <T>(read: Promise<T>, held?: RequestRecord): Promise<T> =>
      read.catch((error: unknown) => Promise.reject(refuseUnreadable(error, scope, held?.clientRequestId ?? ctx.clientRequestId, ctx.operation, held !== undefined)));
    for (let round = 0; round < 10; round += 1) {
      const now = ctx.clock.now();
      const fresh: RequestRecord = {
        scope, clientRequestId: ctx.clientRequestId, state: 'pending', operation: redactText(ctx.operation, secrets), fingerprint,
        attempts: 0, owner, leaseUntil: leaseFor(ctx), version: 1, createdAt: now, updatedAt: now,
      };
      const claim = await readable(store.claim(fresh, ttlMs, { signal: ctx.signal }));
      if (claim.claimed) return sendRecorded(ctx, next, fresh, false, secrets);
      const existing = claim.existing;
      if (existing.fingerprint !== fingerprint) throw refuse(ctx, existing, 'IDEMPOTENCY_CONFLICT', 'the scope was already used for a different request');
      if (existing.state === 'succeeded') {
        const unstored = existing.unstoredResponse;
        if (existing.response === undefined) throw refuse(ctx, existing, 'REPLAY_UNAVAILABLE', unstored === undefined ? 'an earlier run succeeded, but its response was not stored' : `an earlier run succeeded with HTTP ${String(unstored.status)}, but its response was not stored: ${unstored.reason}`);
        ctx.emit(eventOf(contextWith(ctx, { clientRequestId: existing.clientRequestId }), { type: 'recovered', via: 'stored' }));
        return noteCall(replayResponse(existing.response), { attempts: 0, clientRequestId: existing.clientRequestId });
      }
      if (existing.state === 'failed') throw previouslyFailed(existing, ctx.operation);
      if (existing.leaseUntil > now && !(await heartbeat.ownerGone(existing, { signal: ctx.signal }))) {
        await readable(waitForOwner(ctx, existing), existing);
        continue;
      }
      // A send its dead worker never heard back from is unanswered from now on (see inheritedUnanswered).
      const unanswered = inheritedUnanswered(existing, now, ctx.attemptTimeoutMs ?? 0);
      const taken: RequestRecord = { ...existing, error: undefined, inFlight: undefined, unanswered, owner, leaseUntil: leaseFor(ctx), version: existing.version + 1, updatedAt: now };
      if (!(await readable(store.update(taken, existing.version, ttlMs, { signal: ctx.signal }), existing))) continue;
      const mayHaveLanded = existing.attempts > 0 && existing.lastSent !== 'not-sent' && existing.lastSent !== 'delivered';
      return sendRecorded(ctx, next, taken, mayHaveLanded, secrets);
    }
    throw new IdempotencyError({ code: 'IDEMPOTENCY_IN_PROGRESS', scope, clientRequestId: ctx.clientRequestId, operation: ctx.operation, message: 'the scope is contended by other workers' });
  }

  async function sendRecorded(ctx: CallContext, next: Next, claimed: RequestRecord, mayHaveLanded: boolean, secrets: readonly string[]): Promise<Response> {
    const writer = createRecordWriter(claimed, { store, ttlMs, clock: ctx.clock, leaseMs });
    // Nothing is sent yet: whatever fails from here to the send (a frozen store, a hook of the
    // existence check that throws) lets the scope go at once, or its lease would be renewed for
    // as long as the process lives and every re-run told another worker is running the call.
    const letGo = async (error: unknown, held?: { release(): Promise<void> }): Promise<never> => {
      writer.stop();
      await Promise.all([writer.write({ leaseUntil: ctx.clock.now(), error: recordedFailure(error, false, secrets) }).catch(() => undefined), held?.release()]);
      throw error;
    };
    const lease = await holdIdentity(ctx, claimed.clientRequestId).catch(letGo);
    const sends = new SendLog(claimed.unanswered, ctx.clock.now(), gatewayTimeouts);
    const call: CallHandle = { next, lease, firstSentAt: () => writer.current().firstSentAt, unanswered: () => sends.latestUnanswered() };
    let everAmbiguous = mayHaveLanded;
    const write = async (c: CallContext, changes: Partial<RequestRecord>): Promise<void> => {
      if (!(await writer.write(changes))) throw refuse(c, writer.current(), 'LEASE_LOST', 'another worker took the call over');
    };
    // The record holds this run's next send in flight (a mark that failed to land leaves it false).
    let marked = false;
    const markSending = async (c: CallContext): Promise<void> => {
      marked = false;
      const record = writer.current();
      const now = c.clock.now();
      // In flight until this run learns how it ended: a worker that finds it there took over from one that died first.
      const inFlight = { sentAt: now, timeoutMs: boundedTimeoutMs(c.attemptTimeoutMs) };
      await write(c, { attempts: record.attempts + 1, firstSentAt: record.firstSentAt ?? now, lastSent: 'ambiguous', inFlight, leaseUntil: leaseFor(c) });
      marked = true;
    };
    // The final write is best effort: if it fails the record stays pending, and a re-run checks before sending.
    const settle = async (changes: Partial<RequestRecord>): Promise<void> => {
      writer.stop();
      await Promise.all([writer.write({ leaseUntil: ctx.clock.now(), inFlight: undefined, ...unansweredOf(sends), ...changes }).catch(() => undefined), lease?.release()]);
    };
    const guard: ResendGuard = async (gctx, previous, intent = 'resend') => {
      everAmbiguous = true;
      // A send that timed out is stored at once: a worker taking the scope over after a crash waits for it too.
      if (sends.ended(previous.error, gctx) || sends.answered(previous.status, gctx)) await write(gctx, { unanswered: sends.latestUnanswered(), inFlight: undefined });
      const decision = await decide(gctx, previous, writer.current(), call);
      if (decision.action === 'resend' && intent === 'resend') await markSending(gctx);
      return decision;
    };
    // A send answered is out no more (see recordedSends); a later one is recorded before it leaves.
    // Another send of the call still out (one that timed out, or a concurrent one) keeps the mark.
    const answered = (status: number | undefined): void => {
      sends.answered(status, ctx);
      marked = false;
      if (tally.out === 0) writer.write({ inFlight: undefined, ...unansweredOf(sends) }).catch(() => undefined);
    };
    const beforeSend = (): Promise<void> | undefined => (marked ? undefined : markSending(down));
    const tally = recordedSends(ctx.sends ?? createSendTally(), { answered, beforeSend });
    let down: CallContext;
    try {
      down = derive(ctx, claimed.clientRequestId, guard, tally);
    } catch (error) {
      return letGo(error, lease);
    }
    let response: Response;
    try {
      const decision = mayHaveLanded ? await decide(down, { attempt: claimed.attempts, verdict: 'transient', sent: 'ambiguous' }, claimed, call) : undefined;
      if (decision?.action === 'recovered') {
        down.emit(eventOf(down, { type: 'recovered', via: 'lookup' }));
        response = decision.response;
      } else {
        await markSending(down);
        response = await next(down);
      }
    } catch (caught) {
      // A record that became unreadable is refused before this run's first send, and ambiguous after it.
      const sentNow = writer.current().attempts - claimed.attempts;
      const error = sentNow > 0 ? unreadableAfterSend(caught, claimed.clientRequestId, sentNow, ctx.operation) : refuseUnreadable(caught, claimed.scope, claimed.clientRequestId, ctx.operation, true);
      sends.ended(caught, ctx);
      // A caller that left with its create out never hears its fate: the API may act on it for its lifetime from now.
      // One that left during a backoff after a gateway's timeout left before the guard could note it.
      if (ctx.signal.aborted && (ctx.sends?.out ?? 1) > 0) sends.abandoned(writer.current().inFlight, ctx.clock.now(), ctx.attemptTimeoutMs ?? 0);
      else if (ctx.signal.aborted) sends.answered(ctx.sends?.lastStatus, ctx);
      const terminal = error instanceof HttpError && error.verdict === 'terminal' && !everAmbiguous;
      await settle(
        terminal
          ? { state: 'failed', lastSent: 'delivered', error: recordedFailure(error, true, secrets) }
          // A caller that aborted gave nothing up for its waiters: one of them takes the scope over.
          : { lastSent: everAmbiguous || tally.out > 0 ? 'ambiguous' : sentStateOf(error), error: ctx.signal.aborted ? undefined : recordedFailure(error, false, secrets) },
      );
      throw error;
    }
    if (response.ok) {
      const copy = await replayCopy(response.clone(), maxStoredBodyBytes, bodyReadLimit(ctx), secrets);
      await Promise.all([
        settle({ state: 'succeeded', lastSent: 'delivered', ...copy }),
        claimResult(down, claimed.clientRequestId, copy.response),
      ]);
      // The caller left while the copy was read: the body it would get is torn down with its
      // signal. It hears its abort, as from any layer; the record keeps that the create landed.
      if (ctx.signal.aborted) throw ctx.signal.reason;
      return response;
    }
    sends.answered(response.status, ctx);
    const { verdict, sent } = classifyResponse(response.status, response.headers, ctx.route, ctx.clock.now());
    const terminal = verdict === 'terminal' && !everAmbiguous;
    const status = response.status;
    const error = await toHttpError(response.clone(), down, { attempts: writer.current().attempts, verdict, sent })
      .then((e) => recordedFailure(e, terminal, secrets), () => ({ code: `HTTP_${String(status)}`, message: `HTTP ${String(status)}`, status, terminal }));
    await settle(terminal ? { state: 'failed', lastSent: 'delivered', error } : { lastSent: everAmbiguous ? 'ambiguous' : sent, error });
    return response;
  }

  // An idempotent call (a GET) passes straight through, without an async layer of its own.
  return (ctx: CallContext, next: Next): Promise<Response> => (ctx.idempotent ? next(ctx) : idempotencyMiddleware(ctx, next));
  async function idempotencyMiddleware(ctx: CallContext, next: Next): Promise<Response> {
    refuseUnusableIdentity(ctx, keyHeader);
    if (ctx.idempotencyScope === undefined || ctx.idempotencyScope === '') {
      if (!requireScope) return sendUnscoped(ctx, next);
      const message = 'a non-idempotent call needs an idempotencyScope (requireScope is on); nothing was sent';
      throw new IdempotencyError({ code: 'SCOPE_REQUIRED', scope: '', clientRequestId: ctx.clientRequestId, operation: ctx.operation, message });
    }
    const held = await heartbeat.hold(ctx.signal);
    try {
      // What the record keeps (the operation, a failure, the answer's headers) is free of the request's credentials.
      return await claimScope(ctx, next, ctx.idempotencyScope, held.owner, requestSecrets(ctx.request));
    } finally {
      held.release();
    }
  }
}
