/** What a scope learns from an answer: its stated budget, or a pause it was told to take. */
import { emptyPace, notePaceRefusal } from './pacing.js';
import type { ReportedBudget, ReportedPause, ScopeState } from './scope-state.js';

/**
 * Learns the budget one answer reported: the window's end and what is left of it.
 *
 * @example
 * ```ts
 * learnBudget(scope, { remaining: 9, resetAt: Date.now() + 1000, limit: 10 });
 * ```
 */
export function learnBudget(s: ScopeState, budget: ReportedBudget): void {
  if (budget.limit !== undefined && budget.limit > 0) s.limit = budget.limit;
  // A budget the server states replaces any pace inferred without one, and any ramp.
  if (s.pace.limit > 0) s.pace = emptyPace();
  s.rampCap = 0;
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

/**
 * Applies a refusal: the scope pauses until the server's time, or for a fallback that doubles
 * on consecutive refusals of the same endpoint (refusals of other endpoints, or several in
 * one window, do not escalate it). A time already past gets one probe at once, then the
 * fallback. The refusal ends the window; its successor is probed.
 *
 * @param sentAt - when the refused send went (a refusal that gave only a time teaches the pace)
 * @example
 * ```ts
 * applyPause(scope, Date.now(), { until: Date.now() + 2000, source: 'retry-after', fallbackMs: 1000, maxFallbackMs: 30_000 }, endpoint, sentAt);
 * ```
 */
export function applyPause(s: ScopeState, now: number, input: ReportedPause, endpoint: string, sentAt: number): void {
  let until = input.until;
  let source = input.source;
  if (until === undefined || until <= now) {
    const step = strike(s, endpoint);
    const firstOfPast = until !== undefined && step === 0;
    const exponent = until === undefined ? step : step - 1;
    until = firstOfPast ? now : now + Math.min(input.maxFallbackMs, input.fallbackMs * 2 ** Math.max(0, exponent));
    if (!firstOfPast) source = 'fallback';
  } else if (input.timeOnly === true) {
    notePaceRefusal(s.pace, sentAt, now, until, (until - now) % 1000 === 0);
  }
  if (until >= s.pauseUntil) {
    s.pauseUntil = until;
    s.pauseSource = source;
  }
  s.remaining = 0;
  s.resetAt = Math.max(now, s.pauseUntil);
}

// Counts one strike against `endpoint` (once per window) and returns the step to use.
function strike(s: ScopeState, endpoint: string): number {
  if (s.strikeEndpoint !== endpoint) {
    s.strikeEndpoint = endpoint;
    s.strikes = 0;
  } else if (s.strikes > 0 && s.strikeEpoch === s.epoch) {
    return s.strikes - 1;
  }
  s.strikes += 1;
  s.strikeEpoch = s.epoch;
  return s.strikes - 1;
}
