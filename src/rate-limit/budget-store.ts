import { acquireStep, emptyBudget, settleStep, type AcquireResult, type BudgetState, type SettleInput, type SettleResult } from './budget.js';

/**
 * Where the budget of one API lives: in this process, or in Redis to be shared by every worker
 * using the same credential. Each operation is atomic.
 */
export interface BudgetStore {
  /** Asks to send one request at `now` (see {@link acquireStep}). */
  acquire(now: number, probeLeaseMs: number): Promise<AcquireResult>;
  /** Reports how a send ended (see {@link settleStep}). */
  settle(now: number, input: SettleInput): Promise<SettleResult>;
  /** The pause in force at `now`, without counting a send. */
  pausedUntil(now: number): Promise<SettleResult>;
  /** A copy of the state, for tests and diagnostics. */
  snapshot(): Promise<BudgetState | undefined>;
  /**
   * Resolves at the next `settle` in this process, so a send waiting for a probe's answer goes
   * as soon as it is in, not at its next poll. Absent where other processes settle too (Redis).
   */
  nextSettle?(): Promise<void>;
}

/**
 * Creates a budget kept in this process's memory.
 *
 * @example
 * ```ts
 * const store = createMemoryBudgetStore();
 * const turn = await store.acquire(Date.now(), 5000);
 * ```
 */
export function createMemoryBudgetStore(): BudgetStore {
  let state: BudgetState | undefined;
  let waiting: Array<() => void> = [];
  const current = (now: number): BudgetState => (state ??= emptyBudget(now));
  return {
    acquire(now: number, probeLeaseMs: number): Promise<AcquireResult> {
      const step = acquireStep(current(now), now, probeLeaseMs);
      state = step.state;
      return Promise.resolve(step.result);
    },
    settle(now: number, input: SettleInput): Promise<SettleResult> {
      const step = settleStep(current(now), now, input);
      state = step.state;
      const wake = waiting;
      waiting = [];
      for (const resolve of wake) resolve();
      return Promise.resolve(step.result);
    },
    pausedUntil(now: number): Promise<SettleResult> {
      const s = current(now);
      const paused = s.pauseUntil > now;
      return Promise.resolve({ pauseUntil: paused ? s.pauseUntil : 0, pauseSource: paused ? s.pauseSource : '' });
    },
    snapshot(): Promise<BudgetState | undefined> {
      return Promise.resolve(state === undefined ? undefined : { ...state });
    },
    nextSettle(): Promise<void> {
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
  };
}
