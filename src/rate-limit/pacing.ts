/**
 * Pacing without budget headers, in the spirit of the AWS SDK's adaptive retry mode: when a
 * server refuses with only a time to come back (Django REST Framework's throttles say nothing
 * but `Retry-After`), the limit it enforces is learned from what it accepted and refused.
 *
 * - Learning: in the window that drew the first such refusals (from its first send to the end
 *   of the pause), the sends the server accepted are the limit `L`; the window `W` is the
 *   tightest bound the refusals give (the instant each named, less the window's first send),
 *   rounded down to whole seconds when the server spoke in whole seconds.
 * - Pacing: a send may go once fewer than `L` sends went in the last `W` plus a margin — the
 *   sliding log a DRF throttle keeps, kept on the client and seeded with the accepted sends it
 *   learned from. The margin (2% of `W` at first) covers requests that reach the server faster
 *   than the one whose slot they take; a refusal just as a slot freed doubles it.
 * - Adapting: now and then one send tries a slot beyond `L` (after 3 windows, then twice as
 *   long after each refused try): accepted, `L` grows by a quarter; refused, it stays. A
 *   refused send leaves the log (the server did not count it); refused with fewer than `L - 1`
 *   sends in the window, `L` drops to what the server took. After four tries in a row were
 *   accepted the pace is forgotten: the limit may have gone.
 */

/** The pace of one scope. */
export interface PaceState {
  /** Sends allowed per window; 0 = none learned (send freely). */
  limit: number;
  /** The window, in ms. */
  windowMs: number;
  /** Added to the window before a slot is reused, in ms. */
  marginMs: number;
  /** Send times of the latest paced sends (the sliding log). */
  log: number[];
  /** Send times of the latest accepted sends (to seed the log when a pace is learned). */
  accepted: number[];
  /** No send tries a slot beyond the limit before this time. */
  trialAfter: number;
  /** The wait before the next try after this one is refused. */
  trialGapMs: number;
  /** Send time of the try in flight; 0 = none. */
  trialSentAt: number;
  /** Tries accepted in a row. */
  grown: number;
  /** Learning: the first send since the last pause ended; 0 = none yet. */
  windowStart: number;
  /** Learning: sends of that window the server accepted. */
  acceptedInWindow: number;
  /** Learning: the tightest window bound the refusals gave (0 = no refusal that gave only a time). */
  learnedWindowMs: number;
}

/** A learned window longer than this is a pause, not a pace: it is not learned. */
export const MAX_PACE_WINDOW_MS = 60_000;
const ACCEPTED_KEPT = 32;
const FORGET_AFTER_GROWN = 4;

/**
 * A scope that paces nothing yet.
 *
 * @example
 * ```ts
 * const pace = emptyPace();
 * ```
 */
export function emptyPace(): PaceState {
  return {
    limit: 0, windowMs: 0, marginMs: 0, log: [], accepted: [], trialAfter: 0, trialGapMs: 0, trialSentAt: 0, grown: 0,
    windowStart: 0, acceptedInWindow: 0, learnedWindowMs: 0,
  };
}

/**
 * A copy that shares no array with `pace` (states are copied before each step).
 *
 * @example
 * ```ts
 * const next = copyPace(state.pace);
 * ```
 */
export function copyPace(pace: PaceState): PaceState {
  return { ...pace, log: [...pace.log], accepted: [...pace.accepted] };
}

/**
 * Until when the pace holds the next send back, if it does.
 *
 * @example
 * ```ts
 * paceHold(pace, Date.now()); // when the oldest of the last L sends leaves the window
 * ```
 */
export function paceHold(pace: PaceState, now: number): number | undefined {
  if (pace.limit <= 0) return undefined;
  const span = pace.windowMs + pace.marginMs;
  // A try whose answer never came (a network error) does not block the next one forever.
  if (pace.trialSentAt > 0 && now > pace.trialSentAt + 2 * span) pace.trialSentAt = 0;
  const cap = pace.limit + (now >= pace.trialAfter && pace.trialSentAt === 0 ? step(pace) : 0);
  if (pace.log.length < cap) return undefined;
  const until = (pace.log[pace.log.length - cap] ?? 0) + span;
  return until > now ? until : undefined;
}

/**
 * Records a send in the sliding log and in the learning window; notes a try beyond the limit.
 *
 * @example
 * ```ts
 * notePaceSend(pace, Date.now());
 * ```
 */
export function notePaceSend(pace: PaceState, now: number): void {
  if (pace.windowStart === 0) pace.windowStart = now;
  if (pace.limit <= 0) return;
  // A try only when the limit's sends are surely still in the server's window.
  const inWindow = pace.log.filter((time) => time > now - pace.windowMs + pace.marginMs).length;
  if (inWindow >= pace.limit && pace.trialSentAt === 0) pace.trialSentAt = now;
  pace.log.push(now);
  const keep = 2 * (pace.limit + step(pace));
  if (pace.log.length > keep) pace.log.splice(0, pace.log.length - keep);
}

/**
 * Records an answer the server accepted, for a send made at `sentAt`.
 *
 * @example
 * ```ts
 * notePaceAccepted(pace, turn.at);
 * ```
 */
export function notePaceAccepted(pace: PaceState, sentAt: number): void {
  if (pace.windowStart > 0 && sentAt >= pace.windowStart) pace.acceptedInWindow += 1;
  pace.accepted.push(sentAt);
  if (pace.accepted.length > ACCEPTED_KEPT) pace.accepted.shift();
  if (pace.limit <= 0 || sentAt !== pace.trialSentAt) return;
  // The try beyond the limit was accepted: the limit is higher; try again a window later.
  pace.limit += step(pace);
  pace.trialSentAt = 0;
  pace.trialGapMs = pace.windowMs;
  pace.trialAfter = sentAt + pace.windowMs;
  pace.grown += 1;
  if (pace.grown >= FORGET_AFTER_GROWN) Object.assign(pace, emptyPace(), { accepted: pace.accepted });
}

/**
 * Records a refusal that gave only a time, of a send made at `sentAt`, answered at
 * `refusedAt` and told to come back at `until`: it bounds the window being learned, or, with
 * a pace in force, tells how the pace was too fast.
 *
 * @param wholeSeconds - the time was given in whole seconds (rounded up by the server)
 * @example
 * ```ts
 * notePaceRefusal(pace, turn.at, Date.now(), retryAt, true);
 * ```
 */
export function notePaceRefusal(pace: PaceState, sentAt: number, refusedAt: number, until: number, wholeSeconds: boolean): void {
  if (pace.limit > 0) {
    const own = pace.log.lastIndexOf(sentAt);
    if (own >= 0) pace.log.splice(own, 1);
    pace.grown = 0;
    if (sentAt === pace.trialSentAt) {
      pace.trialSentAt = 0;
      pace.trialGapMs = Math.min(64 * pace.windowMs, 2 * pace.trialGapMs);
      pace.trialAfter = refusedAt + pace.trialGapMs;
      return;
    }
    const before = pace.log.filter((time) => time > sentAt - pace.windowMs && time < sentAt).length;
    if (before >= pace.limit - 1) pace.marginMs = Math.min(Math.ceil(pace.windowMs / 4), 2 * pace.marginMs);
    else pace.limit = Math.max(1, before);
    return;
  }
  if (pace.windowStart <= 0) return;
  // The server refused at or after `sentAt`, and its window began at or after `windowStart`.
  let windowMs = sentAt + (until - refusedAt) - pace.windowStart;
  // Retry-After in whole seconds rounds up what is left of the window by up to a second;
  // windows are whole seconds too (DRF: per second, minute, hour, day), so round down.
  if (wholeSeconds && windowMs >= 1000) windowMs = Math.floor(windowMs / 1000) * 1000;
  if (windowMs <= 0 || windowMs > MAX_PACE_WINDOW_MS) return;
  pace.learnedWindowMs = pace.learnedWindowMs === 0 ? windowMs : Math.min(pace.learnedWindowMs, windowMs);
}

/**
 * Ends a learning window (a pause ended): a pace is learned from it when a refusal gave only
 * a time and the server had accepted at least two sends in it.
 *
 * @example
 * ```ts
 * closePaceWindow(pace, Date.now()); // at rollover
 * ```
 */
export function closePaceWindow(pace: PaceState, now: number): void {
  if (pace.limit <= 0 && pace.learnedWindowMs > 0 && pace.acceptedInWindow >= 2) {
    pace.limit = pace.acceptedInWindow;
    pace.windowMs = pace.learnedWindowMs;
    pace.marginMs = Math.max(5, Math.ceil(pace.windowMs / 50));
    pace.trialGapMs = 3 * pace.windowMs;
    pace.trialAfter = now + pace.trialGapMs;
    // The accepted sends are still in the server's window: they start the log.
    pace.log = pace.accepted.filter((time) => time >= pace.windowStart).slice(-pace.limit);
  }
  pace.windowStart = 0;
  pace.acceptedInWindow = 0;
  pace.learnedWindowMs = 0;
}

function step(pace: PaceState): number {
  return Math.max(1, Math.floor(pace.limit / 4));
}
