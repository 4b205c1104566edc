/**
 * The shared request budget of one API, as a pure state machine: who may send now, and what
 * each answer teaches. The in-memory store applies these steps directly; the Redis store runs
 * the same steps in one Lua script (`budget-redis.ts`), so every worker sees one budget and
 * one pause. Numbers are epoch ms on the callers' clocks; `0` means "none".
 */

/** The budget of one API at one moment. */
export interface BudgetState {
  /** Nobody sends before this (a 429, a 503 with Retry-After, an exhausted 403). */
  readonly pauseUntil: number;
  /** Where the pause time came from (`retry-after`, `fallback`, ...). */
  readonly pauseSource: string;
  /** End of the current window as learned (the earliest reset reported in it); 0 = unknown. */
  readonly resetAt: number;
  /** Sends left in the current window; -1 = unknown (send freely). */
  readonly remaining: number;
  /** Requests per window, once a response reported it; 0 = unknown. */
  readonly limit: number;
  /** Sends since the current window opened (plus what was in flight when it opened). */
  readonly sent: number;
  /** Sends not yet settled, across every worker. */
  readonly inflight: number;
  /** Lease end of the one probe in flight after a window rollover or a pause; 0 = none. */
  readonly probeUntil: number;
  /** Whether the next send must go alone, as a probe, before the others may follow. */
  readonly needProbe: boolean;
  /** Consecutive header-less refusals (doubles the fallback pause). */
  readonly strikes: number;
  /** Window generation: answers to sends of an earlier generation do not describe this window. */
  readonly epoch: number;
}

/** A send may go now; report how it ended to `settle` with `probe` and `epoch`. */
export interface AcquireGo {
  /** Always `true`. */
  readonly go: true;
  /** The send is the probe of a new window: the others wait for its answer. */
  readonly probe: boolean;
  /** The window generation the send was counted in. */
  readonly epoch: number;
}

/** A send must wait. */
export interface AcquireWait {
  /** Always `false`. */
  readonly go: false;
  /** Epoch ms to wait until (for `probe`, the end of the probe's lease: look again sooner). */
  readonly until: number;
  /** A pause for everyone, an exhausted window, or a probe in flight. */
  readonly reason: 'pause' | 'exhausted' | 'probe';
  /** Where the time came from (`retry-after`, `ratelimit-remaining`, `fallback`, ...). */
  readonly source: string;
}

/** May this send go now? */
export type AcquireResult = AcquireGo | AcquireWait;

/** The budget an answer reported. */
export interface ReportedBudget {
  /** Requests left in the window after this one. */
  readonly remaining: number;
  /** Epoch ms at which the window resets. */
  readonly resetAt: number;
  /** Requests per window, if reported. */
  readonly limit?: number;
}

/** A refusal that pauses everyone. */
export interface ReportedPause {
  /** Epoch ms the server said to come back at; absent when it did not say. */
  readonly until?: number;
  /** The header it came from. */
  readonly source: string;
  /** First pause when the server did not say, doubled on each consecutive refusal. */
  readonly fallbackMs: number;
  /** Cap of the doubled fallback pause. */
  readonly maxFallbackMs: number;
}

/** What one settled send reports back. */
export interface SettleInput {
  /** The send was the probe. */
  readonly probe: boolean;
  /** The epoch the send was acquired in. */
  readonly epoch: number;
  /** The server answered (any status); `false` for a network error, timeout or abort. */
  readonly answered: boolean;
  /** The answer was a 2xx. */
  readonly success: boolean;
  /** The budget the answer reported, when it gave both `remaining` and a reset time. */
  readonly budget?: ReportedBudget;
  /** The answer was a refusal to come back later: pause everyone until `until` (or a fallback). */
  readonly pause?: ReportedPause;
}

/** The pause in force after a settle, if any. */
export interface SettleResult {
  /** Epoch ms before which nobody sends; 0 = none. */
  readonly pauseUntil: number;
  /** Where it came from. */
  readonly pauseSource: string;
}

/**
 * A budget that knows nothing yet: the first send goes alone, as a probe, and the others follow
 * its answer, so a burst at first contact cannot overrun a limit nobody has read yet.
 *
 * @param now - the current time; it seeds the epoch, so that answers to sends made before the
 *   state was lost (e.g. a Redis FLUSHALL) are not mistaken for answers of the new state
 * @example
 * ```ts
 * const state = emptyBudget(Date.now());
 * ```
 */
export function emptyBudget(now: number): BudgetState {
  return { pauseUntil: 0, pauseSource: '', resetAt: 0, remaining: -1, limit: 0, sent: 0, inflight: 0, probeUntil: 0, needProbe: true, strikes: 0, epoch: now };
}

/** The outcome of one step: the next state and the answer to the caller. */
export interface BudgetStep<R> {
  /** The state after the step. */
  readonly state: BudgetState;
  /** The answer. */
  readonly result: R;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

// A window whose reset has passed (and no pause holds) is forgotten; its successor is learned
// from one probe, because a reset time read from whole seconds can be early.
function rollover(state: Mutable<BudgetState>, now: number): void {
  if (state.resetAt > 0 && now >= state.resetAt && now >= state.pauseUntil) {
    state.resetAt = 0;
    state.remaining = -1;
    state.sent = state.inflight;
    state.needProbe = true;
    state.epoch += 1;
  }
}

/**
 * Asks to send one request at `now`; on `go` the send is counted.
 *
 * @param probeLeaseMs - how long a probe may stay unanswered before another send may probe
 * @example
 * ```ts
 * const { state: next, result } = acquireStep(state, Date.now(), 5000);
 * if (!result.go) console.log(`wait until ${result.until}`);
 * ```
 */
export function acquireStep(state: BudgetState, now: number, probeLeaseMs: number): BudgetStep<AcquireResult> {
  const s: Mutable<BudgetState> = { ...state };
  rollover(s, now);
  if (now < s.pauseUntil) return { state: s, result: { go: false, until: s.pauseUntil, reason: 'pause', source: s.pauseSource } };
  if (s.probeUntil > now) return { state: s, result: { go: false, until: s.probeUntil, reason: 'probe', source: 'probe' } };
  if (s.remaining === 0) return { state: s, result: { go: false, until: s.resetAt, reason: 'exhausted', source: 'ratelimit-remaining' } };
  const probe = s.needProbe;
  if (probe) s.probeUntil = now + probeLeaseMs;
  if (s.remaining > 0) s.remaining -= 1;
  s.sent += 1;
  s.inflight += 1;
  return { state: s, result: { go: true, probe, epoch: s.epoch } };
}

/**
 * Reports how one send ended, so the budget learns from it: the reported remaining budget and
 * reset, or a pause for everyone.
 *
 * @example
 * ```ts
 * settleStep(state, Date.now(), { probe: false, epoch, answered: true, success: true, budget: { remaining: 9, resetAt } });
 * ```
 */
export function settleStep(state: BudgetState, now: number, input: SettleInput): BudgetStep<SettleResult> {
  const s: Mutable<BudgetState> = { ...state };
  s.inflight = Math.max(0, s.inflight - 1);
  if (input.probe) {
    s.probeUntil = 0;
    if (input.answered) s.needProbe = false;
  }
  if (input.success) s.strikes = 0;
  rollover(s, now);
  const budget = input.budget;
  if (budget !== undefined && input.epoch === s.epoch && budget.resetAt > now) learn(s, budget);
  if (input.pause !== undefined) pause(s, now, input.pause);
  const paused = s.pauseUntil > now;
  return { state: s, result: { pauseUntil: paused ? s.pauseUntil : 0, pauseSource: paused ? s.pauseSource : '' } };
}

function learn(s: Mutable<BudgetState>, budget: ReportedBudget): void {
  if (budget.limit !== undefined && budget.limit > 0) s.limit = budget.limit;
  if (s.resetAt === 0) {
    s.resetAt = budget.resetAt;
    // The server's count lags ours by the sends still in flight. With a known limit,
    // `limit - sent` is exact when we are the only client (the server's `remaining` caps it
    // when others use the key too); without one, `remaining - inflight` is a safe floor.
    const estimate = s.limit > 0 ? Math.min(budget.remaining, s.limit - s.sent) : budget.remaining - s.inflight;
    s.remaining = Math.max(0, estimate);
  } else {
    // Within a window the budget only shrinks. An answer settled late (another worker's busy
    // event loop) reports an older, higher count: taking the minimum ignores it.
    s.resetAt = Math.min(s.resetAt, budget.resetAt);
    s.remaining = Math.max(0, Math.min(s.remaining, budget.remaining));
  }
}

function pause(s: Mutable<BudgetState>, now: number, input: ReportedPause): void {
  let until = input.until;
  let source = input.source;
  if (until === undefined) {
    until = now + Math.min(input.maxFallbackMs, input.fallbackMs * 2 ** s.strikes);
    s.strikes += 1;
    source = 'fallback';
  }
  if (until >= s.pauseUntil) {
    s.pauseUntil = until;
    s.pauseSource = source;
  }
  // The refusal ends the window: nothing more is sent in it, and its successor is probed.
  s.remaining = 0;
  s.resetAt = Math.max(now, s.pauseUntil);
}
