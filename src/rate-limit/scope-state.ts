/**
 * The request budget of one rate-limit scope (the whole API, a partition, a route group or one
 * endpoint) as pure steps on plain data: what it holds, when its window rolls over, what an
 * answer teaches it. `budget.ts` combines the scopes a send passes through. Numbers are epoch
 * ms on the callers' clocks; `0` means "none".
 */
import { closePaceWindow, emptyPace, paceHold, type PaceState } from './pacing.js';

/** The budget of one scope at one moment. */
export interface ScopeState {
  /** Nobody sends before this (a 429, a 503 with Retry-After, an exhausted 403). */
  pauseUntil: number;
  /** Where the pause time came from (`retry-after`, `fallback`, ...). */
  pauseSource: string;
  /** End of the current window as learned (the earliest reset reported in it); 0 = unknown. */
  resetAt: number;
  /** Sends left in the current window; -1 = unknown (send freely). */
  remaining: number;
  /** Requests per window, once a response reported it; 0 = unknown. */
  limit: number;
  /** Sends since the current window opened (plus what was in flight when it opened). */
  sent: number;
  /** Sends not yet settled, across every worker. */
  inflight: number;
  /** Whether the next send must go alone (one per endpoint), as a probe, before the others follow. */
  needProbe: boolean;
  /**
   * Whether the server's resets come when it announces them: 1 once a send right after a reset
   * was accepted with a fresh budget (new windows then open without a probe), 0 while unknown
   * (or after a refusal), -1 once a window opened without a probe was refused or had not
   * rolled over (every window is probed again, for as long as this state lives).
   */
  resetTrust: number;
  /**
   * In a window opened without a probe, the sends that may still go before its first answer
   * (the limit less the sends carried in flight); -1 = not such a window, or it has answered.
   */
  blindSends: number;
  /** The current window opened at the reset a budget announced, and no answer has judged it yet. */
  resetOpened: boolean;
  /** Lease end of the probe in flight (endpoint scopes only); 0 = none. */
  probeUntil: number;
  /**
   * While nothing is known of the budget, the sends allowed in flight: one more for each
   * accepted answer, as TCP's slow start, so a throttle that states no budget draws few
   * refusals at first contact; 0 = no cap (a budget or a pace is known).
   */
  rampCap: number;
  /** Consecutive refusals of `strikeEndpoint` that named no usable time (doubles the fallback). */
  strikes: number;
  /** The endpoint those refusals came from. */
  strikeEndpoint: string;
  /** The window in which the last strike was counted (concurrent refusals count once). */
  strikeEpoch: number;
  /** Window generation: answers to sends of an earlier generation do not describe this window. */
  epoch: number;
  /** When the current hold (pause or exhausted window) was first seen; 0 = no hold. */
  heldAt: number;
  /** The endpoint whose answer set the hold; '' when it came from counting or is unattributed. */
  holdBy: string;
  /** A second exhausted answer agreed with the hold: calls that cannot wait it out reject at once. */
  confirmed: boolean;
  /** The next probe verifying an unconfirmed hold may start at this time. */
  verifyAt: number;
  /** Lease end of the probe verifying the hold; 0 = none in flight. */
  verifyUntil: number;
  /** The pace learned from refusals that gave only a time (see `pacing.ts`). */
  pace: PaceState;
  /** Last time a send or an answer touched the scope (to forget idle scopes). */
  touchedAt: number;
}

/** The budget an answer reported for one scope. */
export interface ReportedBudget {
  /** Requests left in the window after this one. */
  readonly remaining: number;
  /** Epoch ms at which the window resets. */
  readonly resetAt: number;
  /** Requests per window, if reported. */
  readonly limit?: number;
}

/** A refusal that holds a scope. */
export interface ReportedPause {
  /** Epoch ms the server said to come back at; absent when it gave no usable time. */
  readonly until?: number;
  /** The header it came from. */
  readonly source: string;
  /** The refusal gave a time but no budget numbers: its window teaches the pace. */
  readonly timeOnly?: boolean;
  /** First pause when the server gave no time, doubled on consecutive refusals of one endpoint. */
  readonly fallbackMs: number;
  /** Cap of the doubled fallback pause. */
  readonly maxFallbackMs: number;
}

/** Why a scope holds a send: until when, and where the time came from. */
export interface Hold {
  /** Epoch ms the hold ends at. */
  readonly until: number;
  /** A pause (refusal) or a spent window. */
  readonly reason: 'pause' | 'exhausted';
  /** The header or rule the time came from. */
  readonly source: string;
}

/**
 * A scope that knows nothing yet.
 *
 * @param needProbe - whether its first send goes alone (the whole API and route groups: yes)
 * @example
 * ```ts
 * const scope = emptyScope(Date.now(), true);
 * ```
 */
export function emptyScope(now: number, needProbe: boolean): ScopeState {
  return {
    pauseUntil: 0, pauseSource: '', resetAt: 0, remaining: -1, limit: 0, sent: 0, inflight: 0, needProbe, resetTrust: 0, blindSends: -1, resetOpened: false,
    probeUntil: 0, rampCap: needProbe ? 1 : 0,
    strikes: 0, strikeEndpoint: '', strikeEpoch: 0, epoch: now, heldAt: 0, holdBy: '', confirmed: false, verifyAt: 0,
    verifyUntil: 0, pace: emptyPace(), touchedAt: now,
  };
}

/**
 * What holds the scope at `now`, if anything.
 *
 * @example
 * ```ts
 * holdOf(scope, Date.now()); // { until, reason: 'pause', source: 'retry-after' }
 * ```
 */
export function holdOf(s: ScopeState, now: number): Hold | undefined {
  if (now < s.pauseUntil) return { until: s.pauseUntil, reason: 'pause', source: s.pauseSource };
  if (s.remaining === 0 && s.resetAt > now) return { until: s.resetAt, reason: 'exhausted', source: 'ratelimit-remaining' };
  const paced = paceHold(s.pace, now);
  return paced === undefined ? undefined : { until: paced, reason: 'exhausted', source: 'pacing' };
}

/**
 * Opens the next window once the current one has reset and no pause holds: the window is
 * unknown and learned from one probe, because a reset read from whole seconds can be early —
 * unless a pace was learned, which the sends then follow, or the server's resets proved on
 * time (`resetTrust`), when the window's sends go at once up to the known limit, less the
 * sends still in flight (they may land in it), and the first answer tells the rest. Forgets a
 * hold that has ended.
 *
 * @example
 * ```ts
 * rollover(scope, Date.now());
 * ```
 */
export function rollover(s: ScopeState, now: number): void {
  if (s.resetAt > 0 && now >= s.resetAt && now >= s.pauseUntil) {
    closePaceWindow(s.pace, now);
    // The window ended at a budget's reset, not at a pause's end (a refusal's time).
    const byBudget = s.pace.limit <= 0 && s.limit > 0 && s.pauseUntil < s.resetAt;
    s.epoch += 1;
    s.sent = s.inflight;
    s.remaining = -1;
    s.resetAt = 0;
    const blind = byBudget && s.resetTrust > 0 && s.limit > s.inflight;
    s.blindSends = blind ? s.limit - s.inflight : -1;
    s.resetOpened = byBudget;
    s.needProbe = s.pace.limit <= 0 && !blind;
    s.rampCap = s.needProbe ? 1 : 0;
  }
  if (s.heldAt > 0 && holdOf(s, now) === undefined) clearHold(s);
}

/**
 * Notes the start of a hold, once: who set it, and when it may first be verified.
 *
 * @example
 * ```ts
 * markHold(scope, Date.now(), endpoint, 1000);
 * ```
 */
export function markHold(s: ScopeState, now: number, by: string, probeIntervalMs: number): void {
  if (s.heldAt > 0 || holdOf(s, now) === undefined) return;
  s.heldAt = now;
  s.holdBy = by;
  s.confirmed = false;
  s.verifyAt = now + probeIntervalMs;
}

/**
 * Forgets the hold's verification state (the hold itself ended or was lifted).
 *
 * @example
 * ```ts
 * clearHold(scope);
 * ```
 */
export function clearHold(s: ScopeState): void {
  s.heldAt = 0;
  s.holdBy = '';
  s.confirmed = false;
  s.verifyAt = 0;
  s.verifyUntil = 0;
}

/**
 * Lifts a hold a healthy probe contradicted: the pause ends and a spent window becomes unknown
 * again (a new generation, so that late answers from before the hold do not close it again).
 *
 * @example
 * ```ts
 * liftHold(scope);
 * ```
 */
export function liftHold(s: ScopeState): void {
  s.pauseUntil = 0;
  s.pauseSource = '';
  if (s.remaining === 0) {
    s.remaining = -1;
    s.resetAt = 0;
    s.epoch += 1;
    s.sent = s.inflight;
    s.blindSends = -1;
    s.resetOpened = false;
  }
  // The window that set the hold teaches no pace.
  s.pace.windowStart = 0;
  s.pace.acceptedInWindow = 0;
  s.pace.learnedWindowMs = 0;
  clearHold(s);
}
