/** How one answer teaches the budget (see `budget.ts`). */
import { copyScopes, endpointScope, isHomeScope, prune } from './budget-scopes.js';
import type { BudgetState, BudgetStep, ScopeLesson, SettleInput, SettleResult } from './budget-types.js';
import { notePaceAccepted } from './pacing.js';
import { applyPause, learnBudget } from './scope-learning.js';
import { emptyScope, holdOf, liftHold, markHold, rollover, type Hold, type ScopeState } from './scope-state.js';

// Indexed loops over arrays, as in budget.ts: a settle runs on every answer.
const MAX_RAMP = 64;
const NO_SCOPES = new Set<string>();

/**
 * Reports how one send ended, so the budget learns from it: the budgets and refusals of the
 * scopes the answer speaks for, and the outcome of a probe that verified a hold.
 *
 * @example
 * ```ts
 * settleStep(state, Date.now(), { turn, endpoint, status: 200, lessons: [{ scope: '', budget: { remaining: 9, resetAt } }], probeIntervalMs: 1000 });
 * ```
 */
export function settleStep(state: BudgetState, now: number, input: SettleInput): BudgetStep<SettleResult> {
  const scopes = copyScopes(state);
  const result = settleInPlace(scopes, now, input);
  return { state: { scopes }, result };
}

/** {@link settleStep} on scopes it changes in place; returns the result alone (see `acquireInPlace`). @internal */
export function settleInPlace(scopes: Record<string, ScopeState>, now: number, input: SettleInput): SettleResult {
  const { turn, status, lessons, probeIntervalMs } = input;
  const endpointKey = endpointScope(input.endpoint);
  const answered = status !== undefined;
  // Plain loops over the lessons (none, on most answers): no closure per settle.
  let refused = false;
  let budgeted = false;
  for (let i = 0; i < lessons.length; i += 1) {
    const lesson = lessons[i]!;
    if (lesson.pause !== undefined) refused = true;
    // The server states a budget (perhaps a partition's): nothing to ramp up to blind.
    if (lesson.budget !== undefined) budgeted = true;
  }
  const healthy = answered && status < 500 && !refusedOrSpent(lessons, now);
  for (const key in turn.epochs) {
    const s = scopes[key];
    if (s === undefined) continue;
    s.inflight = Math.max(0, s.inflight - 1);
    // A probe of another window (the scope was lost and started afresh meanwhile) taught it nothing.
    if (turn.probe && answered && turn.epochs[key] === s.epoch) s.needProbe = false;
    if (turn.epochs[key] === s.epoch) judgeOpening(s, answered, lessonFor(lessons, key));
    if (status !== undefined && status >= 200 && status < 300) s.strikes = 0;
    if (answered && status < 500 && !refused) {
      notePaceAccepted(s.pace, turn.at);
      if (s.rampCap > 0) s.rampCap = s.rampCap >= MAX_RAMP ? 0 : s.rampCap + 1;
    }
    if (budgeted) s.rampCap = 0;
    s.touchedAt = now;
    rollover(s, now);
  }
  const endpoint = scopes[endpointKey];
  if (turn.probe && endpoint !== undefined) endpoint.probeUntil = 0;

  // Only a send that verified a hold can lift or confirm one: the others share an empty set
  // (never added to: the loop that adds runs over `turn.verify`, empty for them).
  const lifted = turn.verify.length === 0 ? NO_SCOPES : new Set<string>();
  const confirmed = turn.verify.length === 0 ? NO_SCOPES : new Set<string>();
  for (let i = 0; i < turn.verify.length; i += 1) {
    const key = turn.verify[i]!;
    const s = scopes[key];
    if (s === undefined) continue;
    s.verifyUntil = 0;
    const hold = holdOf(s, now);
    if (hold === undefined) continue;
    // An endpoint's own hold is about every answer of it; another scope's about its lessons.
    const exhausted = key.startsWith('e:')
      ? !healthy && refusedOrSpent(lessons, now)
      : scopeExhausted(lessons, key, now);
    const ownEndpoint = isHomeScope(key) && s.holdBy !== '';
    if (healthy) {
      // Contradicted by another endpoint: the hold was that endpoint's own.
      if (ownEndpoint && s.holdBy !== input.endpoint) holdEndpoint(scopes, s.holdBy, hold, now, probeIntervalMs, false);
      liftHold(s);
      lifted.add(key);
    } else if (exhausted && ownEndpoint && s.holdBy === input.endpoint) {
      // The same endpoint said it again: confirmed for it, while another must agree for everyone.
      holdEndpoint(scopes, input.endpoint, hold, now, probeIntervalMs, true);
    } else if (exhausted) {
      s.confirmed = true;
      confirmed.add(key);
    }
  }

  let pauseUntil = 0;
  let pauseSource = '';
  for (let i = 0; i < lessons.length; i += 1) {
    const lesson = lessons[i]!;
    // A home scope met here was lost (its Redis key flushed): its next send probes again.
    const s = (scopes[lesson.scope] ??= emptyScope(now, isHomeScope(lesson.scope)));
    rollover(s, now);
    const heldBefore = s.heldAt > 0 && !lifted.has(lesson.scope);
    const epoch = turn.epochs[lesson.scope];
    const current = epoch === undefined || epoch === s.epoch || lifted.has(lesson.scope);
    if (lesson.budget !== undefined && current && lesson.budget.resetAt > now) learnBudget(s, lesson.budget);
    if (lesson.pause !== undefined) {
      // A confirming answer is the fresher evidence: its time replaces the first answer's.
      if (confirmed.has(lesson.scope) && lesson.pause.until !== undefined && lesson.pause.until > now) s.pauseUntil = 0;
      applyPause(s, now, lesson.pause, input.endpoint, turn.at);
      // Refused: the next reset is probed again, and may prove itself again.
      if (s.resetTrust > 0) s.resetTrust = 0;
    }
    // A second answer agreeing confirms the hold: for the whole API or a group it must come
    // from another endpoint than the first (one endpoint may be limited on its own).
    const agrees = !isHomeScope(lesson.scope) || s.holdBy === '' || s.holdBy !== input.endpoint;
    if (heldBefore && exhausts(lesson, now) && agrees && holdOf(s, now) !== undefined) s.confirmed = true;
    markHold(s, now, input.endpoint, probeIntervalMs);
    s.touchedAt = now;
    if (s.pauseUntil > now && s.pauseUntil > pauseUntil) {
      pauseUntil = s.pauseUntil;
      pauseSource = s.pauseSource;
    }
  }
  prune(scopes, now);
  return { pauseUntil, pauseSource };
}

// The first answer of a window a budget's reset opened tells whether the reset came when
// announced: accepted with a fresh budget (no more counted than was sent since), it did;
// refused, or with the old window's count, it did not — and where the window opened without
// a probe, resets are no longer trusted. A window opened without a probe whose send got no
// answer is probed after all.
function judgeOpening(s: ScopeState, answered: boolean, lesson: ScopeLesson | undefined): void {
  const blind = s.blindSends >= 0;
  if (!answered) {
    if (blind) {
      s.blindSends = -1;
      s.needProbe = true;
    }
    return;
  }
  s.blindSends = -1;
  // An answer that says nothing of this scope's budget leaves the judgment to the next one.
  if (!s.resetOpened || lesson === undefined || (lesson.pause === undefined && lesson.budget === undefined)) return;
  s.resetOpened = false;
  const fresh = lesson.pause === undefined && lesson.budget !== undefined && lesson.budget.remaining + s.sent >= s.limit;
  if (fresh && s.resetTrust === 0) s.resetTrust = 1;
  else if (!fresh) s.resetTrust = blind ? -1 : Math.min(0, s.resetTrust);
}

function lessonFor(lessons: readonly ScopeLesson[], scope: string): ScopeLesson | undefined {
  for (let i = 0; i < lessons.length; i += 1) {
    const lesson = lessons[i]!;
    if (lesson.scope === scope) return lesson;
  }
  return undefined;
}

function exhausts(lesson: ScopeLesson, now: number): boolean {
  return lesson.pause !== undefined || (lesson.budget !== undefined && lesson.budget.remaining === 0 && lesson.budget.resetAt > now);
}

function refusedOrSpent(lessons: readonly ScopeLesson[], now: number): boolean {
  for (let i = 0; i < lessons.length; i += 1) {
    const lesson = lessons[i]!;
    if (exhausts(lesson, now)) return true;
  }
  return false;
}

function scopeExhausted(lessons: readonly ScopeLesson[], scope: string, now: number): boolean {
  for (let i = 0; i < lessons.length; i += 1) {
    const lesson = lessons[i]!;
    if (lesson.scope === scope && exhausts(lesson, now)) return true;
  }
  return false;
}

function holdEndpoint(
  scopes: Record<string, ScopeState>,
  endpoint: string,
  hold: Hold,
  now: number,
  probeIntervalMs: number,
  confirmed: boolean,
): void {
  const s = (scopes[endpointScope(endpoint)] ??= emptyScope(now, false));
  if (hold.until > s.pauseUntil) {
    s.pauseUntil = hold.until;
    s.pauseSource = hold.source;
  }
  markHold(s, now, endpoint, probeIntervalMs);
  if (confirmed) s.confirmed = true;
  s.touchedAt = now;
}

