import { setLongTimeout, type LongTimeout } from '../core/long-timeout.js';

/**
 * `promise`, or the error `late()` makes once `ms` have passed without it settling: a Redis that
 * freezes (accepts and never answers) would otherwise hold a call, or a shutdown, for ever. The
 * timer does not keep the process alive, and a bound past what one timer holds (about 24.8 days,
 * `Infinity` for none) is taken in full; what `promise` does after the bound is ignored.
 *
 * @example
 * ```ts
 * await bounded(client.get(key), 2000, () => new Error('Redis did not answer'));
 * ```
 */
export function bounded<T>(promise: Promise<T>, ms: number, late: () => Error): Promise<T> {
  let timer: LongTimeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setLongTimeout(() => reject(late()), ms, true);
  });
  promise.catch(() => undefined);
  return Promise.race([promise, expired]).finally(() => timer?.clear());
}
