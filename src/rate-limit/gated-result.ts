import type { AnswerLessons } from './lessons.js';
import type { SettleResult } from './budget-types.js';

/** What one gated send came to: its answer, and for a refusal when its scopes may send again. */
export interface GatedResult {
  /** The answer. */
  readonly response: Response;
  /** The answer refused the send (see `lessonsOf`). */
  readonly refused: boolean;
  /** When the refusal's scopes may send again (0: now). */
  readonly retryAt: number;
  /** The refusal named its own time (else the wait is rateLimit's fallback). */
  readonly serverTimed: boolean;
}

/**
 * The result of a send: a refusal says when its scopes may send again (the settled pause, else
 * the refusal's own time, else the fallback wait).
 *
 * @example
 * ```ts
 * const result = gatedResult(response, lessonsOf(response.status, response.headers, now, options), settled, now, 1000);
 * ```
 */
export function gatedResult(response: Response, learned: AnswerLessons, settled: SettleResult | undefined, now: number, fallbackWaitMs: number): GatedResult {
  if (!learned.refused) return { response, refused: false, retryAt: 0, serverTimed: false };
  const serverTimed = learned.lessons.some((lesson) => lesson.pause?.until !== undefined);
  if (settled !== undefined) return { response, refused: true, retryAt: settled.pauseUntil, serverTimed };
  let retryAt = 0;
  for (const lesson of learned.lessons) {
    if (lesson.pause !== undefined) retryAt = Math.max(retryAt, lesson.pause.until ?? now + fallbackWaitMs);
  }
  return { response, refused: true, retryAt, serverTimed };
}
