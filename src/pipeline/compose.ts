import type { CallContext, Middleware, Next } from '../core/types.js';
import type { CallOptions } from './call-options.js';

/** The call's absolute deadline: the earlier of its own and the default, `undefined` for none. */
export function deadlineOf(now: number, call: CallOptions, defaultMs: number | undefined): number | undefined {
  const relative = call.deadlineMs ?? defaultMs;
  if (relative === undefined && call.deadline === undefined) return undefined;
  const candidates = [relative === undefined ? undefined : now + relative, call.deadline].filter(
    (value): value is number => value !== undefined && Number.isFinite(value),
  );
  return candidates.length === 0 ? undefined : Math.min(...candidates);
}

/**
 * Composes middleware into one `Next`: the first is the outermost. A middleware may call
 * `next` any number of times; each call runs the rest of the chain afresh.
 *
 * @example
 * ```ts
 * const run = compose([retry()], sendWith(fetch));
 * ```
 */
export function compose(middleware: readonly Middleware[], terminal: Next): Next {
  return middleware.reduceRight<Next>((next, layer) => (ctx: CallContext) => layer(ctx, next), terminal);
}

