import { AttemptTimeoutError, RetryLaterError } from '../errors/errors.js';
import { isUnansweredNetworkError } from '../verdict/transport-error.js';
import { HttpError } from '../verdict/http-error.js';
import { ExistenceCheckError } from '../errors/existence-check-error.js';
import { longWaitReason, maxWaitOf } from '../verdict/wait-policy.js';
import type { RequestRecord, UnansweredSend } from '../store/record.js';
import type { CallContext } from '../core/types.js';

/**
 * What one protected call knows of its sends that timed out unanswered: the latest one, from
 * this run or (through the scope's record) an earlier run.
 * @internal
 */
export class SendLog {
  private unanswered: UnansweredSend | undefined;
  private readonly gatewayTimeouts: ReadonlySet<number>;

  /**
   * @param recorded - what the scope's record says of an earlier run's unanswered send, if anything
   * @param now - the call's clock now, to refuse a stored send time that no clock could have given
   * @param gatewayTimeouts - the statuses by which a gateway says it gave up waiting (`IdempotencyOptions.gatewayTimeoutStatuses`)
   */
  constructor(recorded: unknown, now: number, gatewayTimeouts: ReadonlySet<number> = noStatuses) {
    this.unanswered = isUnansweredSend(recorded, now) ? recorded : undefined;
    this.gatewayTimeouts = gatewayTimeouts;
  }

  /**
   * An attempt ended in `error` (as the resend guard hears of it, or as the call's own error):
   * the call's own timeout or gateway timeout, itself or as the cause of the error the call gave
   * up with, or the transport's timeout, marks its send unanswered, with the attempt timeout as
   * configured (`ctx.attemptTimeoutMs`), not as a deadline may have cut it. `true` when this is
   * news. A lookup's errors (another operation) say nothing of the create's send.
   */
  ended(error: unknown, ctx: CallContext): boolean {
    const timeout = ownIn(error, ctx, AttemptTimeoutError);
    if (timeout?.sentAt !== undefined) return this.add({ sentAt: timeout.sentAt, timeoutMs: boundedTimeoutMs(Math.max(timeout.timeoutMs, ctx.attemptTimeoutMs ?? 0)) });
    // No answer heard below HTTP (the transport's timeout, a reset after the write), from now.
    if (unansweredNetworkIn(error, ctx)) return this.add({ sentAt: ctx.clock.now(), timeoutMs: boundedTimeoutMs(ctx.attemptTimeoutMs) });
    return this.answered(ownIn(error, ctx, HttpError)?.status, ctx);
  }

  // Keeps a wait that ends no sooner than the known one and `send`'s; `true` when it changed.
  private add(send: UnansweredSend): boolean {
    const known = this.unanswered;
    const next = longerWait(known, send);
    if (known !== undefined && next.sentAt === known.sentAt && next.timeoutMs === known.timeoutMs) return false;
    this.unanswered = next;
    return true;
  }

  /**
   * An attempt was answered with `status`: a gateway's timeout (a 504) says it gave up waiting
   * while the server behind it may still act on the request (an API gateway's 29 s before the
   * function it called ends), so its send counts as unanswered, from now (it left earlier), with
   * the call's attempt timeout. `true` when this is news.
   */
  answered(status: number | undefined, ctx: CallContext): boolean {
    if (status === undefined || !this.gatewayTimeouts.has(status)) return false;
    return this.add({ sentAt: ctx.clock.now(), timeoutMs: boundedTimeoutMs(ctx.attemptTimeoutMs) });
  }

  /**
   * The call ends while `inFlight` (the record's send in flight, if any) is still out: its
   * caller left (aborted) before hearing back, so the API may act on it as on a timed-out send,
   * counted from `now` (it left no later). `true` when this is news.
   */
  abandoned(inFlight: unknown, now: number, fallbackTimeoutMs: number): boolean {
    if (inFlight === undefined || inFlight === null) return false;
    const timeoutMs = isUnansweredSend(inFlight, now) ? inFlight.timeoutMs : Math.min(DAY_MS, Math.max(0, fallbackTimeoutMs));
    return this.add({ sentAt: now, timeoutMs });
  }

  /** The latest send without an answer (merged with any earlier one), in this run or an earlier run. */
  latestUnanswered(): UnansweredSend | undefined {
    return this.unanswered;
  }
}

const noStatuses: ReadonlySet<number> = new Set();

/** The record's change for `log`'s latest unanswered send: none when there is none. @internal */
export function unansweredOf(log: SendLog): { unanswered?: UnansweredSend } {
  const unanswered = log.latestUnanswered();
  return unanswered === undefined ? {} : { unanswered };
}

// The create's own transport failure, itself or as the cause of the error the call gave up with
// (retry's RetryLaterError or DeadlineExceededError); never one under an existence check's error
// or under an error of another operation (a lookup's RetryLaterError, passed up as it is).
function unansweredNetworkIn(error: unknown, ctx: CallContext): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1) {
    if (e instanceof ExistenceCheckError) return false;
    const operation = (e as { operation?: unknown }).operation;
    if (typeof operation === 'string' && operation !== ctx.operation) return false;
    if (isUnansweredNetworkError(e)) return true;
  }
  return false;
}

// The first error of `kind` in an error's chain that the call's own sends gave (a call gives up
// with its timeout as the cause of a RetryLaterError, say): one of a lookup's (its operation is
// `existence check for …`) says nothing of the create's send.
function ownIn<E extends AttemptTimeoutError | HttpError>(error: unknown, ctx: CallContext, kind: new (...args: never[]) => E): E | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1) {
    if (e instanceof kind && e.operation === ctx.operation) return e;
  }
  return undefined;
}

/**
 * The unanswered send a worker taking a scope over inherits from its record: the record's own,
 * and, when the record still holds a send in flight (its worker died or froze before it heard
 * back), that send as if made now, since the dead worker may have sent it up to its last moment;
 * with both, a wait that ends no sooner than either. An in-flight send that does not read as one
 * still counts, with `fallbackTimeoutMs` (the taker's attempt timeout), as does a recorded
 * unanswered send that does not (a string, a time a year ahead): doubt about a send makes the
 * wait longer, never shorter, and never endless.
 * @internal
 */
export function inheritedUnanswered(record: RequestRecord, now: number, fallbackTimeoutMs: number): UnansweredSend | undefined {
  const log = new SendLog(record.unanswered, now);
  // A stored send that does not read as one (or bears a time no clock gave) still counts, from now.
  if (log.latestUnanswered() === undefined) log.abandoned(record.unanswered, now, fallbackTimeoutMs);
  log.abandoned(record.inFlight, now, fallbackTimeoutMs);
  return log.latestUnanswered();
}

// Two sends the API may still act on, as one that ends no sooner than either: the later send
// time with the longer timeout (a later send under a shorter timeout must not shorten the wait).
function longerWait(a: UnansweredSend | undefined, b: UnansweredSend): UnansweredSend {
  if (a === undefined) return b;
  return { sentAt: Math.max(a.sentAt, b.sentAt), timeoutMs: Math.max(a.timeoutMs, b.timeoutMs) };
}

const DAY_MS = 86_400_000;

/**
 * The attempt timeout a send without an answer is waited out with: a call with no timeout
 * (`Infinity`) may be answered at any time, so it counts as a day, the longest any stored send
 * is trusted to mean (and JSON, which stores `Infinity` as `null`, keeps it). @internal
 *
 * @example
 * ```ts
 * boundedTimeoutMs(Number.POSITIVE_INFINITY); // 86400000
 * ```
 */
export function boundedTimeoutMs(timeoutMs: number | undefined): number {
  const ms = timeoutMs ?? 0;
  return Number.isNaN(ms) ? DAY_MS : Math.min(DAY_MS, Math.max(0, ms));
}

// A record is read back from a store that may hold anything: only a send time no later than a
// day from now and a timeout under a day count (a wait for anything else could never end).
function isUnansweredSend(value: unknown, now: number): value is UnansweredSend {
  const send = value as Partial<UnansweredSend> | null | undefined;
  if (typeof send !== 'object' || send === null) return false;
  const { sentAt, timeoutMs } = send;
  return typeof sentAt === 'number' && typeof timeoutMs === 'number' && sentAt >= 0 && sentAt <= now + DAY_MS && timeoutMs >= 0 && timeoutMs <= DAY_MS;
}

/**
 * The existence check's delays before each read: the settle delays, and one more read when they
 * would end before `unanswered` could have landed (its send plus `lifetimeMs`, by default twice
 * its attempt timeout). `now` is when the reads begin.
 * @internal
 */
export function readsCovering(settleDelaysMs: readonly number[], now: number, unanswered: UnansweredSend | undefined, lifetimeMs: number | undefined): readonly number[] {
  if (unanswered === undefined) return settleDelaysMs;
  const lastReadAt = now + settleDelaysMs.reduce((sum, ms) => sum + ms, 0);
  // No lifetime is taken as longer than two days (an `Infinity` would schedule a read never made).
  const landedBy = unanswered.sentAt + Math.min(2 * DAY_MS, lifetimeMs ?? 2 * unanswered.timeoutMs);
  return lastReadAt >= landedBy ? settleDelaysMs : [...settleDelaysMs, landedBy - lastReadAt];
}

/**
 * A `RetryLaterError` when waiting `delayMs` for the read that covers an unanswered send would
 * exceed the call's `maxWaitMs` or pass its deadline, else `undefined`. For a call with a scope,
 * a re-run at `retryAt` finds the send in the scope's record and reads then.
 * @internal
 */
export function holdRefusal(ctx: CallContext, delayMs: number): RetryLaterError | undefined {
  const now = ctx.clock.now();
  const reason = longWaitReason(ctx, now + delayMs, now, maxWaitOf(ctx, undefined));
  if (reason === undefined) return undefined;
  const wait = `a create sent without an answer may still land for ${String(Math.ceil(delayMs))} ms (requestLifetimeMs)`;
  return new RetryLaterError({ retryAt: now + delayMs, delayMs, reason, operation: ctx.operation, wait });
}
