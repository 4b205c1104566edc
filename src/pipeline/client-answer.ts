/**
 * What client mode ({@link forClient}) hands a client: the answer with surefetch's facts and,
 * for a refused answer (400 or more), a body surefetch has already read within the call's body
 * limit, so a body that stalls ends in a `BodyTimeoutError` instead of holding the client's read.
 */
import { noteBodyFailure, noteOf, withFacts, type CallFacts } from '../core/call-facts.js';
import { noteAnsweredRequest } from '../core/request-secrets.js';
import { anySignal } from '../core/signals.js';
import type { CallContext } from '../core/types.js';
import { BodyTimeoutError } from '../errors/body-timeout-error.js';
import { scrubError } from '../errors/scrub-error.js';
import { classifyResponse } from '../verdict/classify.js';
import { bodyReadLimit, joinChunks, readChunks, type BodyReadLimit } from '../verdict/response-body.js';
import { parseServerWait } from '../verdict/server-wait.js';

/** How much of a refused answer's body client mode holds before handing on the rest as it comes, in bytes. @internal */
export const maxBufferedErrorBytes = 1024 * 1024;

/**
 * The answer a client gets in client mode. A success (or a 3xx) is handed on at once, its body
 * unread: it is the caller's to read at its own pace. A refused answer's body is read first,
 * within `bodyReadLimit(ctx)`, because the client reads it at once to build its error and nothing
 * else would bound that read: the copy has the same status, headers (plus the facts), URL and
 * body; a body that stalled gives what arrived, then fails with the `BodyTimeoutError` (its
 * connection already closed). The caller's abort rejects the call. With no bound (`bodyTimeoutMs`
 * 0 or `Infinity`, no deadline) the body is handed on unread, as fetch gave it. `input` and
 * `init` (fetch's arguments as the client passed them) are kept for the client's error (see
 * `BodyFailure`), and so is the request surefetch sent, for an answer outside 2xx (see
 * `noteAnsweredRequest`): nothing is noted for a success. @internal
 *
 * @example
 * ```ts
 * chain(ctx).then((response) => clientAnswer(response, ctx, input, init));
 * ```
 */
export function clientAnswer(response: Response, ctx: CallContext, input: unknown, init: unknown): Response | Promise<Response> {
  const facts = factsFor(response, ctx);
  if (response.ok) return withFacts(response, facts);
  // The client builds its error from this answer: the request it answered is noted for that error.
  const refused = (body?: ConstructorParameters<typeof Response>[0]): Response => {
    const answer = withFacts(response, facts, body);
    noteAnsweredRequest(answer, ctx.request);
    return answer;
  };
  // A status outside 200-599 cannot be rebuilt around a body read here (see withFacts): handed on unread.
  if (response.status < 400 || response.status > 599 || response.body === null) return refused();
  const limit = bodyReadLimit(ctx);
  const { timeoutMs } = limit;
  if (timeoutMs === undefined) return refused();
  const startedAt = ctx.clock.now();
  return readHead(response.body, limit).then(({ head, failure, rest }) => {
    if (failure === undefined && rest === undefined) return refused(head);
    let answer: Response | undefined;
    // The error leaves through the client, not through createFetch's scrub: scrubbed here.
    const failed = (error: unknown): unknown => {
      const clean = scrubError(error, ctx.request);
      if (clean instanceof BodyTimeoutError && answer !== undefined) noteBodyFailure(clean, { answer, input, init });
      return clean;
    };
    answer = refused(handOn(head, failure, rest, { ...limit, timeoutMs, startedAt }, failed));
    return answer;
  });
}

/** The start of a body, read within `limit`, and how it ended. */
interface Head {
  /** The bytes read. */
  readonly head: Uint8Array<ArrayBuffer>;
  /** Why the read stopped early: a `BodyTimeoutError`, or the stream's own error. */
  readonly failure: unknown;
  /** The rest of a body larger than `maxBufferedErrorBytes`, unread. */
  readonly rest: ReadableStream<Uint8Array> | undefined;
}

async function readHead(body: ReadableStream<Uint8Array>, limit: BodyReadLimit): Promise<Head> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    // Past the cap, the body is released, not cancelled: the client gets what was read followed
    // by the rest of the original stream, pulled as it reads (see handOn), so no byte is lost.
    await readChunks(body, limit, (chunk) => {
      chunks.push(chunk);
      size += chunk.byteLength;
      return size <= maxBufferedErrorBytes;
    }, true);
  } catch (error) {
    // The caller's abort rejects the call with its reason, as fetch would (readChunks cancelled the body).
    if (limit.signal.aborted) throw error;
    return { head: joinChunks(chunks), failure: error, rest: undefined };
  }
  return { head: joinChunks(chunks), failure: undefined, rest: size > maxBufferedErrorBytes ? body : undefined };
}

/** A body limit whose time counts from `startedAt` (clock time), when the read of the head began (see handOn). */
interface StartedLimit extends BodyReadLimit {
  readonly timeoutMs: number;
  readonly startedAt: number;
}

/**
 * A body that gives `head`, then fails with `failure`, or goes on with `rest`, read one chunk
 * per pull (so the client's pace holds it back) within what is left of `limit`: a body larger
 * than the cap loses no byte, and one that stalls past it still fails in time. A cancel by the
 * client cancels `rest`.
 */
function handOn(
  head: Uint8Array<ArrayBuffer>,
  failure: unknown,
  rest: ReadableStream<Uint8Array> | undefined,
  limit: StartedLimit,
  failed: (error: unknown) => unknown,
): ReadableStream<Uint8Array> {
  const cancelled = new AbortController();
  let headSent = head.byteLength === 0;
  // The bound counts the time spent waiting for the server (the head's read, then each pull's),
  // not the client's pauses between reads: a body that was sent whole is never cut because the
  // client read it late, and one that stalls still fails once the waits add up to the bound.
  let waitedMs = limit.clock.now() - limit.startedAt;
  const restLimit = (): BodyReadLimit => ({
    ...limit,
    signal: anySignal(limit.signal, cancelled.signal),
    timeoutMs: Math.max(0, limit.timeoutMs - waitedMs),
  });
  // highWaterMark 0: `pull` runs only for a pending read, so an error never drops a queued chunk.
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!headSent) {
          headSent = true;
          controller.enqueue(head);
        } else if (rest === undefined) {
          if (failure === undefined) controller.close();
          else controller.error(failed(failure));
        } else {
          let chunk: Uint8Array | undefined;
          const pulledAt = limit.clock.now();
          try {
            await readChunks(rest, restLimit(), (value) => ((chunk = value), false), true);
            waitedMs += limit.clock.now() - pulledAt;
          } catch (error) {
            if (!cancelled.signal.aborted) controller.error(failed(withWholeBound(error, limit)));
            return;
          }
          if (chunk === undefined) controller.close();
          else controller.enqueue(chunk);
        }
      },
      cancel(reason) {
        cancelled.abort(reason);
        if (rest !== undefined && !rest.locked) rest.cancel(reason).catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

/** The bound is the body's, counted from the start: a timeout reports it, not the part that was left. */
function withWholeBound(error: unknown, limit: StartedLimit): unknown {
  if (!(error instanceof BodyTimeoutError)) return error;
  return new BodyTimeoutError({ timeoutMs: limit.timeoutMs, operation: limit.operation }, { cause: error.cause });
}

/** What a client in client mode can read about the answer (see `factsOf`). */
function factsFor(response: Response, ctx: CallContext): CallFacts {
  const now = ctx.clock.now();
  const { verdict, sent } = classifyResponse(response.status, response.headers, ctx.route, now);
  const note = noteOf(response);
  return {
    status: response.status,
    verdict,
    sent,
    attempts: note?.attempts ?? 1,
    clientRequestId: note?.clientRequestId ?? ctx.clientRequestId,
    retryAt: verdict === 'wait' ? parseServerWait(response.headers, { now })?.retryAt : undefined,
  };
}
