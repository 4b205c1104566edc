/** The types of the budget's steps (see `budget.ts`). */
import type { ReportedBudget, ReportedPause } from './scope-state.js';
import type { ScopeState } from './scope-state.js';

/** The budget of one API: a state per scope. */
export interface BudgetState {
  /** Scope key → state. */
  readonly scopes: Readonly<Record<string, ScopeState>>;
}

/** What a send asks the budget for. */
export interface AcquireRequest {
  /** The scopes the send is gated by: its home scope, then its endpoint's known partitions. */
  readonly scopes: readonly string[];
  /** Names the endpoint (hashed method and path); its scope `e:<endpoint>` is added. */
  readonly endpoint: string;
  /** The endpoint's partitions are not known yet: it also waits out short holds of any partition. */
  readonly softPartitions: boolean;
  /** Holds up to this long are waited out; longer ones are verified, or refused once confirmed. */
  readonly maxHoldMs: number;
  /** How long a probe may stay unanswered before another send may probe. */
  readonly probeLeaseMs: number;
  /** Spacing of the probes that verify an unconfirmed hold. */
  readonly probeIntervalMs: number;
  /** `false` to look without counting a send. @default true */
  readonly count?: boolean;
}

/** A send's permission, to hand back to `settleStep`. */
export interface Turn {
  /** The window generation of each gating scope the send was counted in. */
  readonly epochs: Readonly<Record<string, number>>;
  /** The send is its endpoint's probe of a new window. */
  readonly probe: boolean;
  /** The scopes whose unconfirmed hold the send verifies. */
  readonly verify: readonly string[];
  /** When the send was let go. */
  readonly at: number;
}

/** The send may go now. */
export interface AcquireGo {
  /** Always `true`. */
  readonly go: true;
  /** Its permission (empty when only looking). */
  readonly turn: Turn;
}

/** The send must wait, or (`confirmed`) give up at once. */
export interface AcquireWait {
  /** Always `false`. */
  readonly go: false;
  /** Epoch ms to wait until (for `probe`, a lease end: look again sooner). */
  readonly until: number;
  /**
   * `pause` / `exhausted`: a hold the caller can wait out; `probe`: a probe is in flight;
   * `verify`: the next probe verifying a long hold may go at `until`; `confirmed`: a confirmed
   * hold longer than the caller can wait.
   */
  readonly reason: 'pause' | 'exhausted' | 'probe' | 'verify' | 'confirmed';
  /** Where the time came from (`retry-after`, `ratelimit-remaining`, `pacing`, `fallback`, ...). */
  readonly source: string;
}

/** May this send go now? */
export type AcquireResult = AcquireGo | AcquireWait;

/** What one answer teaches one scope. */
export interface ScopeLesson {
  /** The scope key. */
  readonly scope: string;
  /** The budget the answer reported, when it gave both `remaining` and a reset time. */
  readonly budget?: ReportedBudget;
  /** The answer refused the send: hold the scope until `until` (or a fallback). */
  readonly pause?: ReportedPause;
}

/** How one send ended. */
export interface SettleInput {
  /** The turn it was sent with. */
  readonly turn: Turn;
  /** Its endpoint. */
  readonly endpoint: string;
  /** The HTTP status; `undefined` for a network error, timeout or abort. */
  readonly status?: number;
  /** What the answer teaches, per scope. */
  readonly lessons: readonly ScopeLesson[];
  /** Spacing of the probes that verify a hold the answer starts. */
  readonly probeIntervalMs: number;
}

/** The longest pause the answer's scopes are under after a settle, if any. */
export interface SettleResult {
  /** Epoch ms before which nobody sends in those scopes; 0 = none. */
  readonly pauseUntil: number;
  /** Where it came from. */
  readonly pauseSource: string;
}

/** The outcome of one step: the next state and the answer to the caller. */
export interface BudgetStep<R> {
  /** The state after the step. */
  readonly state: BudgetState;
  /** The answer. */
  readonly result: R;
}
