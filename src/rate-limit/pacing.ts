/**
 * Pacing without budget headers, in the spirit of the AWS SDK's adaptive retry mode: when a
 * server refuses with only a time to come back (Django REST Framework's throttles say nothing
 * but `Retry-After`), the window it enforces is learned from what it accepted and refused —
 * the sends accepted in the refused window are its size, the time from that window's first
 * send to the instant the server named is its length. Later windows send that many and then
 * hold until the window has passed since the last send (safe for sliding windows too). A
 * window fully used without a refusal counts as clean; after two clean ones each window tries
 * a quarter more, and after eight the pace is forgotten (the limit may have gone).
 */
import type { ScopeState } from './scope-state.js';

/** A learned window longer than this is a pause, not a pace: it is not learned. */
export const MAX_PACE_WINDOW_MS = 60_000;

/** Clean windows after which every window tries a larger size. */
const GROW_AFTER_CLEAN = 2;

/** Clean windows after which the pace is forgotten. */
const FORGET_AFTER_CLEAN = 8;

/**
 * Notes a refusal that gave only a time (`until`): the window it ends is as long as from its
 * first send to `until`.
 *
 * @example
 * ```ts
 * learnPaceWindow(scope, Date.now() + 1000);
 * ```
 */
export function learnPaceWindow(s: ScopeState, until: number): void {
  if (s.windowStart <= 0) return;
  const windowMs = until - s.windowStart;
  if (windowMs <= 0 || windowMs > MAX_PACE_WINDOW_MS) return;
  s.paceWindowMs = s.timeOnlyRefusal ? Math.max(s.paceWindowMs, windowMs) : windowMs;
  s.timeOnlyRefusal = true;
}

/**
 * Learns from the window that is closing: a refused one sets the pace to what the server
 * accepted in it; a paced one fully used without a refusal is clean.
 *
 * @example
 * ```ts
 * closeWindow(scope); // called at rollover, before the counters reset
 * ```
 */
export function closeWindow(s: ScopeState): void {
  if (s.timeOnlyRefusal) {
    // Two accepted sends are the least evidence of a rate; fewer is a pause, not a pace.
    if (s.paced || s.paceLimit > 0) s.paceLimit = Math.max(1, s.accepted);
    else if (s.accepted >= 2) s.paceLimit = s.accepted;
    s.cleanWindows = 0;
    return;
  }
  if (!s.paced || s.remaining !== 0 || s.accepted < s.paceLimit) return;
  s.paceLimit = Math.max(s.paceLimit, s.accepted);
  s.cleanWindows += 1;
  if (s.cleanWindows >= FORGET_AFTER_CLEAN) {
    s.paceLimit = 0;
    s.cleanWindows = 0;
  }
}

/**
 * The size of the next paced window, or `undefined` when no pace is learned.
 *
 * @example
 * ```ts
 * nextPaceWindow(scope); // 5, or 6 after two clean windows of 5
 * ```
 */
export function nextPaceWindow(s: ScopeState): number | undefined {
  if (s.paceLimit <= 0 || s.paceWindowMs <= 0) return undefined;
  return s.cleanWindows >= GROW_AFTER_CLEAN ? s.paceLimit + Math.max(1, Math.floor(s.paceLimit / 4)) : s.paceLimit;
}
