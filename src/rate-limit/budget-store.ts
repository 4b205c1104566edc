import { acquireInPlace, acquireStep, emptyBudget, settleInPlace, type AcquireRequest, type AcquireResult, type BudgetState, type SettleInput, type SettleResult } from './budget.js';
import type { ScopeState } from './scope-state.js';
import { copyPace } from './pacing.js';

/**
 * Where the budget of one API lives: in this process, or in Redis to be shared by every worker
 * using the same credential. Each operation is atomic.
 */
export interface BudgetStore {
  /** Asks to send one request at `now` (the pure step of budget.ts); with `count: false`, only looks. */
  acquire(now: number, request: AcquireRequest): Promise<AcquireResult>;
  /** Reports how a send ended (the pure step of budget-settle.ts). */
  settle(now: number, input: SettleInput): Promise<SettleResult>;
  /** A copy of one scope's state (`''`: the whole API), for tests and diagnostics. */
  snapshot(scope?: string): Promise<ScopeState | undefined>;
  /**
   * Resolves at the next `settle` in this process, so a send waiting for a probe's answer goes
   * as soon as it is in, not at its next poll. Absent where other processes settle too (Redis).
   */
  nextSettle?(): Promise<void>;
  /** {@link acquire} done at once, where the budget is in this process (no await per send). */
  acquireNow?(now: number, request: AcquireRequest): AcquireResult;
  /** {@link settle} done at once, where the budget is in this process. */
  settleNow?(now: number, input: SettleInput): SettleResult;
}

/**
 * Creates a budget kept in this process's memory.
 *
 * @example
 * ```ts
 * const store = createMemoryBudgetStore();
 * const turn = await store.acquire(Date.now(), { scopes: [''], endpoint: 'e1', softPartitions: false, maxHoldMs: 60_000, probeLeaseMs: 5000, probeIntervalMs: 1000 });
 * ```
 */
export function createMemoryBudgetStore(): BudgetStore {
  let waiting: Array<() => void> = [];
  // The state is this store's alone, so a step that counts changes it in place; a look
  // (`count: false`) works on a copy.
  const state: BudgetState = emptyBudget();
  const acquireNow = (now: number, request: AcquireRequest): AcquireResult =>
    request.count === false ? acquireStep(state, now, request).result : acquireInPlace(state.scopes, now, request);
  const settleNow = (now: number, input: SettleInput): SettleResult => {
    const result = settleInPlace(state.scopes, now, input);
    if (waiting.length > 0) {
      const wake = waiting;
      waiting = [];
      for (const resolve of wake) resolve();
    }
    return result;
  };
  return {
    acquireNow,
    settleNow,
    acquire(now: number, request: AcquireRequest): Promise<AcquireResult> {
      return Promise.resolve(acquireNow(now, request));
    },
    settle(now: number, input: SettleInput): Promise<SettleResult> {
      return Promise.resolve(settleNow(now, input));
    },
    snapshot(scope = ''): Promise<ScopeState | undefined> {
      const s = state.scopes[scope];
      return Promise.resolve(s === undefined ? undefined : { ...s, pace: copyPace(s.pace) });
    },
    nextSettle(): Promise<void> {
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
  };
}
