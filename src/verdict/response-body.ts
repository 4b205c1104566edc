/** Reading and discarding response bodies without holding more of them, or longer, than needed. */
import { BodyTimeoutError } from '../errors/body-timeout-error.js';
import type { Clock } from '../core/clock.js';
import type { CallContext } from '../core/types.js';
import { anySignal } from '../core/signals.js';

/** The largest error body kept on an {@link HttpError}, in bytes. */
export const maxErrorBodyBytes = 64 * 1024;

/** How long a body read by the library may take, and what else stops it. */
export interface BodyReadLimit {
  /** Stops the read with its reason (the caller's signal). */
  readonly signal: AbortSignal;
  /** Longest time the read may take, in ms; `undefined` for no bound. */
  readonly timeoutMs: number | undefined;
  /** Where the timeout comes from. */
  readonly clock: Clock;
  /** For the error's message. */
  readonly operation: string;
}

/**
 * The limit of a body read within a call: the body timeout, shortened to what is left until
 * the call's deadline, and the caller's signal.
 *
 * @example
 * ```ts
 * const { text } = await readCappedText(response, 1024, bodyReadLimit(ctx));
 * ```
 */
export function bodyReadLimit(ctx: CallContext): BodyReadLimit {
  const untilDeadline = ctx.deadline === undefined ? undefined : Math.max(0, ctx.deadline - ctx.clock.now());
  // `Infinity` (what createFetch makes of a bodyTimeoutMs of 0) bounds nothing: no timer for it.
  const bounds = [ctx.bodyTimeoutMs, untilDeadline].filter((value): value is number => value !== undefined && value !== Number.POSITIVE_INFINITY);
  const timeoutMs = bounds.length === 0 ? undefined : Math.min(...bounds);
  return { signal: ctx.signal, timeoutMs, clock: ctx.clock, operation: ctx.operation };
}

/**
 * Reads a body chunk by chunk into `take` until it ends or `take` returns `false`, within
 * `limit`. A read that is stopped (by `take`, the timeout or the signal) cancels the body, which
 * releases its connection; the cancel is not awaited, because cancelling one branch of a
 * cloned body settles only once the other branch is done too. With `keepRest`, a stop by
 * `take` releases the body instead, unread past that chunk, for someone else to read on. Rejects
 * with a {@link BodyTimeoutError} when the time is up, with the signal's reason when it aborts,
 * and with the stream's error when the body breaks off.
 *
 * @example
 * ```ts
 * await readChunks(response.body, bodyReadLimit(ctx), (chunk) => (chunks.push(chunk), true));
 * ```
 */
export async function readChunks(
  body: ReadableStream<Uint8Array>,
  limit: BodyReadLimit | undefined,
  take: (chunk: Uint8Array) => boolean,
  keepRest = false,
): Promise<void> {
  const reader = body.getReader();
  const finished = new AbortController();
  const timeout = limit?.timeoutMs === undefined ? undefined : limit.clock.timeoutSignal(limit.timeoutMs, finished.signal);
  let stop: AbortSignal | undefined = limit?.signal;
  if (limit !== undefined && timeout !== undefined) stop = anySignal(limit.signal, timeout);
  let onStop: (() => void) | undefined;
  const stopped = new Promise<never>((_resolve, reject) => {
    onStop = () => reject(stop?.reason);
    if (stop?.aborted) onStop();
    else stop?.addEventListener('abort', onStop, { once: true });
  });
  stopped.catch(() => undefined);
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), stopped]);
      if (done) return;
      if (!take(value)) {
        // No read is pending here (the last one just answered), so the lock can go.
        if (keepRest) reader.releaseLock();
        else reader.cancel().catch(() => undefined);
        return;
      }
    }
  } catch (error) {
    reader.cancel().catch(() => undefined);
    if (limit?.signal.aborted) throw limit.signal.reason;
    if (timeout?.aborted && limit?.timeoutMs !== undefined) {
      throw new BodyTimeoutError({ timeoutMs: limit.timeoutMs, operation: limit.operation }, { cause: error });
    }
    throw error;
  } finally {
    if (onStop !== undefined) stop?.removeEventListener('abort', onStop);
    finished.abort();
  }
}

/** What {@link readCappedText} read. */
export interface CappedText {
  /** The text that arrived, up to the cap. */
  readonly text: string;
  /** Whether the body was cut: at the cap, by the time limit, or because it broke off. */
  readonly truncated: boolean;
  /** Set when the time limit cut the body. */
  readonly timedOut?: BodyTimeoutError;
}

/**
 * Reads at most `maxBytes` of a response body as text within `limit`, and cancels the rest, so
 * a huge or stalled error page never fills memory or holds the call. Rejects only with the
 * limit signal's reason (the caller's abort); a timeout or a body that breaks off still yields
 * what arrived.
 *
 * @example
 * ```ts
 * const { text, truncated } = await readCappedText(response, 1024, bodyReadLimit(ctx));
 * ```
 */
export async function readCappedText(response: Response, maxBytes: number, limit?: BodyReadLimit): Promise<CappedText> {
  if (response.body === null) return { text: '', truncated: false };
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let text = '';
  let size = 0;
  let capped = false;
  try {
    await readChunks(response.body, limit, (chunk) => {
      const room = maxBytes - size;
      size += chunk.byteLength;
      capped = chunk.byteLength > room;
      text += decoder.decode(capped ? chunk.subarray(0, Math.max(0, room)) : chunk, { stream: !capped });
      return !capped;
    });
  } catch (error) {
    if (limit?.signal.aborted) throw error;
    return { text, truncated: true, ...(error instanceof BodyTimeoutError ? { timedOut: error } : {}) };
  }
  return { text: capped ? text : text + decoder.decode(), truncated: capped };
}

/**
 * Reads a whole body as JSON within `limit` (and at most `maxBytes`), for the answers the
 * library itself interprets (an existence check's lookup, a 409 to a re-send). Rejects with a
 * {@link BodyTimeoutError} when it stalls, or when it is not JSON or too large.
 *
 * @example
 * ```ts
 * const body = await readJson(response, bodyReadLimit(ctx));
 * ```
 */
export async function readJson(
  response: Response,
  limit: BodyReadLimit | undefined,
  maxBytes = 32 * 1024 * 1024,
): Promise<unknown> {
  if (response.body === null) throw new SyntaxError('the body is empty');
  const bytes = await readUpTo(response, maxBytes, limit);
  if (bytes === undefined) throw new RangeError(`the body is larger than ${maxBytes} bytes`);
  return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
}

/**
 * The whole body, read within `limit`; `undefined` when it is larger than `maxBytes` (nothing
 * is kept past it).
 *
 * @example
 * ```ts
 * const bytes = await readUpTo(response.clone(), 1_048_576, bodyReadLimit(ctx));
 * ```
 */
export async function readUpTo(response: Response, maxBytes: number, limit: BodyReadLimit | undefined): Promise<Uint8Array | undefined> {
  if (response.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  await readChunks(response.body, limit, (chunk) => {
    size += chunk.byteLength;
    chunks.push(chunk);
    return size <= maxBytes;
  });
  return size > maxBytes ? undefined : joinChunks(chunks);
}

/**
 * The chunks of a body as one array of bytes.
 *
 * @example
 * ```ts
 * joinChunks([new Uint8Array([1]), new Uint8Array([2, 3])]); // Uint8Array [1, 2, 3]
 * ```
 */
export function joinChunks(chunks: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(chunks.reduce((size, chunk) => size + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * Cancels a response body nobody will read, so its connection is released.
 *
 * @example
 * ```ts
 * await discardBody(response);
 * ```
 */
export async function discardBody(response: Response): Promise<void> {
  if (response.body !== null && !response.bodyUsed) await response.body.cancel().catch(() => undefined);
}
