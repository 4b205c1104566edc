import { AmbiguousOutcomeError, DeadlineExceededError } from '../errors/errors.js';
import { wasUnsent } from '../core/unsent-errors.js';
import type { SentState } from '../core/types.js';

/**
 * The sent state an error reports (on itself or a cause); `ambiguous` when it says nothing.
 *
 * @example
 * ```ts
 * sentStateOf(new TypeError('fetch failed')); // 'ambiguous'
 * ```
 */
export function sentStateOf(error: unknown): SentState {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1) {
    if (e instanceof AmbiguousOutcomeError) return 'ambiguous';
    // Stopped before its request left because the deadline had passed: an error made for this
    // call alone. (Not any error marked unsent: a caller's abort reason is shared by every call
    // on its signal, and one of those may have been sent.)
    if (e instanceof DeadlineExceededError && wasUnsent(e)) return 'not-sent';
    const sent = (e as { sent?: unknown }).sent;
    if (sent === 'not-sent' || sent === 'delivered' || sent === 'ambiguous') return sent;
  }
  return 'ambiguous';
}
