/**
 * Bounds a promise in a test that proves "no hang": it rejects when `promise` is still pending
 * after `ms`, so a regression fails with a message instead of the test runner's timeout.
 */

/**
 * `promise`, or a rejection if it has not settled within `ms`.
 *
 * @example
 * ```ts
 * const error = await within(call(), 5000).catch((e: unknown) => e);
 * ```
 */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
