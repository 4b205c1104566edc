import { unrefTimer } from '../core/clock.js';

/**
 * `promise`, or the error `late()` makes once `ms` have passed without it settling: a Redis that
 * freezes (accepts and never answers) would otherwise hold a call, or a shutdown, for ever. The
 * timer does not keep the process alive; what `promise` does after the bound is ignored.
 *
 * @example
 * ```ts
 * await bounded(client.get(key), 2000, () => new Error('Redis did not answer'));
 * ```
 */
export function bounded<T>(promise: Promise<T>, ms: number, late: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late()), ms);
    unrefTimer(timer);
  });
  promise.catch(() => undefined);
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
