import { DeadlineExceededError } from '../errors/errors.js';
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
 * Runs the call through `chain`, unless its deadline has passed already (`deadlineMs: 0`, a
 * `deadline` in the past): then it rejects with a {@link DeadlineExceededError} and nothing is
 * sent, rather than an attempt that would be abandoned as it went out (a create made ambiguous).
 *
 * @example
 * ```ts
 * return Promise.resolve(unlessDeadlinePassed(ctx, chain));
 * ```
 */
export function unlessDeadlinePassed(ctx: CallContext, chain: Next): ReturnType<Next> {
  if (ctx.deadline !== undefined && ctx.deadline <= ctx.clock.now()) return Promise.reject(new DeadlineExceededError({ operation: ctx.operation, attempts: 0 }));
  return chain(ctx);
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

