import type { Clock } from '../core/clock.js';
import { UnreadableRecordError } from './record-codec.js';
import { StoreUnavailableError, type StoreOperation } from './store-unavailable-error.js';

/** How a store reaches its backend: what to name in errors, and how long to wait. */
export interface BackendContext {
  readonly backend: string;
  /** The backend URL with its password redacted, if any. */
  readonly target: string | undefined;
  /** Strings that must never appear in an error (the URL's password, decoded and raw). */
  readonly secrets: readonly string[];
  readonly timeoutMs: number;
  /** The option that sets `timeoutMs`, as the timeout's message names it. @default 'operationTimeoutMs' */
  readonly timeoutOption?: string;
  readonly clock: Clock;
}

/**
 * Replaces the password of a store's URL with `***` (and the whole URL when it cannot be
 * parsed, since it may still hold one), keeping the user and host an operator needs to find the
 * store and dropping the fragment the PostgreSQL store uses to tell its pools apart. (Request
 * URLs go through `redactUrl` in `redact.ts`, which also masks secret query parameters.)
 *
 * @example
 * ```ts
 * maskStoreUrl('redis://:hunter2@cache:6379'); // 'redis://:***@cache:6379'
 * ```
 */
export function maskStoreUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    parsed.hash = '';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}

/**
 * The secrets of a URL (its password, raw and decoded) to scrub from error messages.
 *
 * @example
 * ```ts
 * urlSecrets('postgres://u:p%40ss@db/x'); // ['p%40ss', 'p@ss']
 * ```
 */
export function urlSecrets(url: string): string[] {
  try {
    const { password } = new URL(url);
    if (password === '') return [];
    return [...new Set([password, decodeURIComponent(password)])];
  } catch {
    return [];
  }
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    // AggregateError (e.g. ECONNREFUSED on both ::1 and 127.0.0.1) has an empty message.
    if (error.message === '' && error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0]);
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code) ? `${error.message} (${code})` : error.message || error.name;
  }
  return String(error);
}

/**
 * Wraps a backend failure as a {@link StoreUnavailableError}, with credentials scrubbed from
 * the message and from the cause.
 *
 * @example
 * ```ts
 * throw unavailable(ctx, 'claim', error);
 * ```
 */
export function unavailable(ctx: BackendContext, operation: StoreOperation, error: unknown): StoreUnavailableError {
  if (error instanceof StoreUnavailableError) return error;
  const reason = scrub(describe(error), ctx.secrets);
  const leaks = ctx.secrets.some((s) => describe(error).includes(s) || (error instanceof Error && (error.stack ?? '').includes(s)));
  const cause = leaks ? new Error(reason) : error;
  return new StoreUnavailableError({ backend: ctx.backend, operation, target: ctx.target, reason }, { cause });
}

/**
 * Runs one backend operation bounded by `ctx.timeoutMs` and by the caller's `signal`. Any failure,
 * the timeout included, rejects with a {@link StoreUnavailableError}, but an `UnreadableRecordError`
 * (the backend answered, with a value at the key that is no record), which passes as it is; the
 * caller's abort rejects at once with the signal's reason (what every other abortable step of a
 * call does), leaving the operation to finish or fail in the background. The timeout runs on
 * `clock.timeoutSignal`, which uses real time even on a manual clock, so a dead backend never
 * hangs a test either, and its timer is released as soon as the operation settles.
 *
 * @example
 * ```ts
 * const reply = await callBackend(ctx, 'claim', () => client.set(key, value, { condition: 'NX' }), signal);
 * ```
 */
export async function callBackend<T>(ctx: BackendContext, operation: StoreOperation, run: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  signal?.throwIfAborted();
  const settled = new AbortController();
  const timeout = ctx.clock.timeoutSignal(ctx.timeoutMs, settled.signal);
  let onTimeout: (() => void) | undefined;
  let onAbort: (() => void) | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    onTimeout = (): void => reject(unavailable(ctx, operation, new Error(`no answer within ${String(ctx.timeoutMs)} ms (${ctx.timeoutOption ?? 'operationTimeoutMs'})`)));
    timeout.addEventListener('abort', onTimeout, { once: true });
  });
  const aborted = new Promise<never>((_, reject) => {
    if (!signal) return;
    onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const work = run().catch((error: unknown) => {
    throw error instanceof UnreadableRecordError ? error : unavailable(ctx, operation, error);
  });
  try {
    return await Promise.race([work, timedOut, aborted]);
  } finally {
    // The losers of the race must not surface as unhandled rejections later.
    work.catch(() => undefined);
    settled.abort();
    if (onTimeout) timeout.removeEventListener('abort', onTimeout);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
