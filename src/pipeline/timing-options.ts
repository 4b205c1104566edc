import { InvalidRequestError } from '../errors/invalid-request-error.js';

/**
 * The options that are durations in milliseconds, on `createFetch` and per call. Each is a
 * number, 0 or more; `Infinity` means no limit. NaN, a negative number or anything else (a string,
 * `null` from plain JavaScript) is refused before anything is sent: it would otherwise reach a
 * timer that fires at once (`setTimeout` takes NaN and negative delays as 0).
 */
export interface TimingOptions {
  readonly attemptTimeoutMs?: unknown;
  readonly bodyTimeoutMs?: unknown;
  readonly deadlineMs?: unknown;
  readonly maxWaitMs?: unknown;
}

const names = ['attemptTimeoutMs', 'bodyTimeoutMs', 'deadlineMs', 'maxWaitMs'] as const;

// NaN fails `>= 0` too.
const isDurationOrAbsent = (value: unknown): boolean => value === undefined || (typeof value === 'number' && value >= 0);

/**
 * Throws a `TypeError` (not a number) or a `RangeError` (NaN, negative) naming the first timing
 * option of `createFetch` that is not a duration.
 *
 * @example
 * ```ts
 * checkTimingOptions({ attemptTimeoutMs: Number.NaN }); // RangeError: createFetch: attemptTimeoutMs must be …
 * ```
 */
export function checkTimingOptions(options: TimingOptions): void {
  for (const name of names) checkDurationOption('createFetch', name, options[name]);
}

/**
 * Throws a `TypeError` (not a number) or a `RangeError` (NaN, negative) when the option `name` of
 * `owner` (a factory: `createFetch`, `idempotency`) is given and is not a duration.
 *
 * @example
 * ```ts
 * checkDurationOption('idempotency', 'storeTimeoutMs', -1); // RangeError: idempotency: storeTimeoutMs must be …
 * ```
 */
export function checkDurationOption(owner: string, name: string, value: unknown): void {
  if (isDurationOrAbsent(value)) return;
  const message = `${owner}: ${name} must be a number of milliseconds, 0 or more (Infinity for no limit); got ${shown(value)}`;
  throw typeof value === 'number' ? new RangeError(message) : new TypeError(message);
}

/**
 * Rejects per-call timing options (`init.surefetch`) that are not durations with an
 * {@link InvalidRequestError} naming the option, before anything is sent. A few comparisons,
 * made only for a call that carries options.
 *
 * @example
 * ```ts
 * checkCallTimings({ deadlineMs: -1 }); // InvalidRequestError: surefetch.deadlineMs must be …
 * ```
 */
export function checkCallTimings(call: TimingOptions | null | undefined): void {
  // `surefetch: null` from plain JavaScript carries no options, as before.
  if (call === undefined || call === null) return;
  if (isDurationOrAbsent(call.attemptTimeoutMs) && isDurationOrAbsent(call.bodyTimeoutMs) && isDurationOrAbsent(call.deadlineMs) && isDurationOrAbsent(call.maxWaitMs)) return;
  const name = names.find((each) => !isDurationOrAbsent(call[each])) ?? names[0];
  throw new InvalidRequestError(`surefetch.${name} must be a number of milliseconds, 0 or more (Infinity for no limit); got ${shown(call[name])}`);
}

/**
 * An attempt, body or store timeout as it is held: 0 means no limit (as undici's
 * `headersTimeout` and `bodyTimeout`, axios's and ofetch's `timeout` read it), so it becomes
 * `Infinity`.
 */
export function timeoutLimitMs(ms: number): number {
  return ms === 0 ? Number.POSITIVE_INFINITY : ms;
}

// The value's number, or only its type: an option's value is not echoed as text.
function shown(value: unknown): string {
  if (typeof value === 'number') return String(value);
  return value === null ? 'null' : `a value of type ${typeof value}`;
}
