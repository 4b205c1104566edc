/**
 * Drives a middleware directly: a hand-built call context and a real `fetch` as the terminal
 * `next`, with every event recorded.
 */
import { systemClock, type Clock } from '../src/core/clock.js';
import type { SurefetchEvent } from '../src/core/events.js';
import { defaultRedirectPolicy } from '../src/pipeline/redirect.js';
import type { CallContext, Middleware, Next } from '../src/core/types.js';

/** Options of {@link contextFor}. */
export interface ContextOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
  readonly deadline?: number;
  readonly maxWaitMs?: number;
  readonly clock?: Clock;
  readonly events?: SurefetchEvent[];
}

/** A call context for `url`, as `createFetch` would build it. */
export function contextFor(url: string, options: ContextOptions = {}): CallContext {
  const method = options.method ?? 'GET';
  return Object.freeze({
    request: { url, method, headers: new Headers(options.headers), body: null, replayable: true, options: {} },
    operation: `${method} ${new URL(url).pathname}`,
    signal: options.signal ?? new AbortController().signal,
    deadline: options.deadline,
    maxWaitMs: options.maxWaitMs,
    attempt: 1,
    previous: undefined,
    clientRequestId: crypto.randomUUID(),
    idempotencyScope: undefined,
    idempotent: method === 'GET',
    route: undefined,
    attemptTimeoutMs: undefined,
    bodyTimeoutMs: undefined,
    redirects: defaultRedirectPolicy,
    throwHttpErrors: true,
    resendGuard: undefined,
    clock: options.clock ?? systemClock,
    random: Math.random,
    emit: (event: SurefetchEvent) => options.events?.push(event),
  });
}

/** The terminal `next`: one real fetch of the context's request. */
export const fetchNext: Next = (ctx: CallContext) =>
  fetch(ctx.request.url, { method: ctx.request.method, headers: ctx.request.headers, signal: ctx.signal });

/** Calls `url` through `middleware` and reads the body, returning the status. */
export async function call(middleware: Middleware, url: string, options: ContextOptions = {}): Promise<number> {
  const response = await middleware(contextFor(url, options), fetchNext);
  await response.arrayBuffer();
  return response.status;
}

/** Runs `total` tasks with at most `concurrency` at a time. */
export async function pool<T>(total: number, concurrency: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(total);
  let nextIndex = 0;
  const worker = async (): Promise<void> => {
    while (nextIndex < total) {
      const index = nextIndex++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return results;
}
