import { classifyResponse } from '../verdict/classify.js';
import { carriesRateLimitFields, parsePartitionStates, type PartitionState, type RateLimitState } from '../verdict/rate-limit-headers.js';
import { parseServerWait } from '../verdict/server-wait.js';
import type { RouteRule } from '../core/types.js';
import type { ScopeLesson } from './budget.js';
import type { ReportedBudget, ReportedPause } from './scope-state.js';

/** What one answer teaches the budget. */
export interface AnswerLessons {
  /** Per scope: the budget reported, the refusal's hold. */
  readonly lessons: readonly ScopeLesson[];
  /** The partitions the answer named (to remember for its endpoint). */
  readonly partitions: readonly string[];
  /** The answer refused the send (429, a 503 with a time, an exhausted 403): re-send it later. */
  readonly refused: boolean;
}

/** How {@link lessonsOf} reads an answer. */
export interface LessonOptions {
  /** The request's home scope: what an answer naming no partition speaks for. */
  readonly home: string;
  /** The route rule of the request (it may override verdicts). */
  readonly route: RouteRule | undefined;
  /** Margin added to absolute reset times, when the server's clock was not measured. */
  readonly skewMarginMs: number;
  /** The server's clock less ours, measured from its `Date` headers. */
  readonly serverOffsetMs?: number | undefined;
  /** Pause after a refusal that gives no usable time. */
  readonly fallbackWaitMs: number;
  /** Cap of the doubled fallback. */
  readonly maxFallbackWaitMs: number;
}

const NOTHING_LEARNED: AnswerLessons = Object.freeze({ lessons: Object.freeze([]), partitions: Object.freeze([]), refused: false });

/**
 * Reads what an answer teaches: each partition's budget goes to `p:<partition>`, an unnamed
 * one to the home scope. A refusal holds the partitions it reports exhausted, until
 * `Retry-After` if given (it takes precedence) or each one's reset; a refusal no named
 * partition explains holds the home scope. A refusal with a time but no budget numbers is
 * marked `timeOnly`, so its window teaches the pace.
 *
 * @example
 * ```ts
 * const { lessons, refused } = lessonsOf(response.status, response.headers, Date.now(), options);
 * ```
 */
export function lessonsOf(status: number, headers: Headers, now: number, options: LessonOptions, rateLimitFields?: boolean): AnswerLessons {
  const refused = classifyResponse(status, headers, options.route, now).verdict === 'wait';
  // Most answers report no budget and refuse nothing: they teach nothing (and build nothing).
  // Whether they carry a field may be known already, from the head as the send read it.
  if (!refused && !(rateLimitFields ?? carriesRateLimitFields(headers))) return NOTHING_LEARNED;
  const clock = options.serverOffsetMs === undefined ? { now, skewMarginMs: options.skewMarginMs } : { now, skewMarginMs: options.skewMarginMs, serverOffsetMs: options.serverOffsetMs };
  const reports = parsePartitionStates(headers, clock);
  if (reports.length === 0 && !refused) return NOTHING_LEARNED;
  const scopeOf = (report: PartitionState): string => (report.partition === undefined ? options.home : `p:${report.partition}`);
  const byScope = new Map<string, { budget?: ReportedBudget; pause?: ReportedPause }>();
  for (const report of reports) {
    const budget = budgetOf(report.state, now);
    if (budget !== undefined) byScope.set(scopeOf(report), { budget });
  }
  const partitions = reports.flatMap((report) => (report.partition === undefined ? [] : [report.partition]));
  if (refused) {
    const wait = parseServerWait(headers, clock);
    const fallback = { fallbackMs: options.fallbackWaitMs, maxFallbackMs: options.maxFallbackWaitMs };
    const exhausted = reports.filter((report) => report.partition !== undefined && report.state.remaining === 0);
    // Retry-After takes precedence over each partition's own reset.
    const untilOf = (report: PartitionState): number | undefined =>
      wait?.source === 'retry-after' ? wait.retryAt : (report.state.resetAt ?? wait?.retryAt);
    const targets =
      exhausted.length > 0
        ? exhausted.map((report) => ({ scope: scopeOf(report), until: untilOf(report) }))
        : [{ scope: options.home, until: wait?.retryAt ?? unnamedReset(reports) }];
    const timeOnly = reports.every((report) => report.state.remaining === undefined);
    for (const { scope, until } of targets) {
      const source = wait?.source ?? (until === undefined ? 'fallback' : 'ratelimit-remaining');
      const pause: ReportedPause = { ...(until === undefined ? {} : { until }), source, timeOnly: timeOnly && until !== undefined, ...fallback };
      byScope.set(scope, { ...byScope.get(scope), pause });
    }
  }
  const lessons = [...byScope].map(([scope, lesson]) => ({ scope, ...lesson }));
  return { lessons, partitions, refused };
}

function budgetOf(state: RateLimitState, now: number): ReportedBudget | undefined {
  const resetAt = state.resetAt ?? (state.windowMs === undefined ? undefined : now + state.windowMs);
  if (state.remaining === undefined || resetAt === undefined) return undefined;
  return { remaining: state.remaining, resetAt, ...(state.limit === undefined ? {} : { limit: state.limit }) };
}

function unnamedReset(reports: readonly PartitionState[]): number | undefined {
  const unnamed = reports.find((report) => report.partition === undefined);
  return unnamed?.state.remaining === 0 ? unnamed.state.resetAt : undefined;
}
