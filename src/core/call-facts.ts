import type { SentState, Verdict } from './types.js';
import { decodeOrKeep } from './url-decode.js';

/** Where a `SureFetch` keeps its client-mode twin (same chain, answers returned, not thrown). @internal */
export const clientModeFetch: unique symbol = Symbol('surefetch.clientMode');

/**
 * What surefetch knows about a call whose answer it handed to a wrapping client (see
 * {@link forClient}): the answer's verdict and sent state, how many attempts were sent, the
 * client request id and, for a wait, when the server said to come back.
 */
export interface CallFacts {
  /** HTTP status of the answer. */
  readonly status: number;
  /** The verdict of the answer: `success`, `terminal`, `wait` or `transient`. */
  readonly verdict: Verdict;
  /** Whether the server may have applied the request. */
  readonly sent: SentState;
  /** How many attempts the call sent (0 for a replayed or recovered answer). */
  readonly attempts: number;
  /** The client request id of the call. */
  readonly clientRequestId: string;
  /** When the server said to come back (epoch ms), for a `wait` verdict. */
  readonly retryAt: number | undefined;
}

/**
 * The response headers that carry {@link CallFacts} in client mode, for clients that copy
 * headers but not the `Response` (axios). Every name starts with `surefetch-`.
 *
 * @example
 * ```ts
 * error.response?.headers[callFactHeaders.clientRequestId]; // axios; prefer factsOf(error)
 * ```
 */
export const callFactHeaders = Object.freeze({
  /** `success`, `terminal`, `wait` or `transient`. */
  verdict: 'surefetch-verdict',
  /** `not-sent`, `ambiguous` or `delivered`. */
  sent: 'surefetch-sent',
  /** Attempts sent, as a decimal integer. */
  attempts: 'surefetch-attempts',
  /** The client request id, percent-encoded. */
  clientRequestId: 'surefetch-client-request-id',
  /** Epoch ms to come back, for a wait; absent otherwise. */
  retryAt: 'surefetch-retry-at',
});

// Facts of the responses surefetch returned, keyed by the object itself: clients that pass the
// Response through (ofetch, ky, openapi-fetch) need no header parsing.
const factsByResponse = new WeakMap<Response, CallFacts>();
// What `retry` and `idempotency` know about the answers they return (the attempt count, the
// client request id of a stored record), read by `createFetch`, which only sees the outer call.
const notesByResponse = new WeakMap<Response, CallNote>();

/** What an inner layer knows about an answer it returns. @internal */
export interface CallNote {
  /** Attempts sent for it. */
  readonly attempts: number;
  /** The client request id it was sent with. */
  readonly clientRequestId: string;
}

/** Notes what produced `response` (written by `retry` and `idempotency`). @internal */
export function noteCall(response: Response, note: CallNote): Response {
  notesByResponse.set(response, note);
  return response;
}

/** The note an inner layer left on `response`, if any. @internal */
export function noteOf(response: Response): CallNote | undefined {
  return notesByResponse.get(response);
}

/** What `new Response()` takes as a body. @internal */
type ResponseBody = ConstructorParameters<typeof Response>[0];

/**
 * Returns a response carrying `facts`: the same body (or `body`, one read off it), status and
 * headers plus the `surefetch-*` headers, remembered by identity as well. The original is left
 * untouched (a fetched response's headers are immutable). @internal
 */
export function withFacts(response: Response, facts: CallFacts, body: ResponseBody = response.body): Response {
  // Statuses outside 200-599 (an opaque answer) cannot be rebuilt; identity alone carries them.
  if (response.status < 200 || response.status > 599) {
    factsByResponse.set(response, facts);
    return response;
  }
  const headers = new Headers(response.headers);
  headers.set(callFactHeaders.verdict, facts.verdict);
  headers.set(callFactHeaders.sent, facts.sent);
  headers.set(callFactHeaders.attempts, String(facts.attempts));
  headers.set(callFactHeaders.clientRequestId, encodeURIComponent(facts.clientRequestId));
  if (facts.retryAt !== undefined) headers.set(callFactHeaders.retryAt, String(facts.retryAt));
  const copy = new Response(body, { status: response.status, statusText: response.statusText, headers });
  // A rebuilt Response has an empty url; clients (and people reading logs) expect the real one.
  Object.defineProperty(copy, 'url', { value: response.url, enumerable: true });
  Object.defineProperty(copy, 'redirected', { value: response.redirected, enumerable: true });
  factsByResponse.set(copy, facts);
  return copy;
}

/** A body error surefetch raised in an answer it handed to a client (see `noteBodyFailure`). @internal */
export interface BodyFailure {
  /** The answer, as returned (with its facts), whose body ended in the error. */
  readonly answer: Response;
  /** fetch's arguments as the client passed them (ofetch's resolved request and options). */
  readonly input: unknown;
  readonly init: unknown;
}

// A client reads a refused answer's body before it builds its error; when that read fails with
// surefetch's error (a body that stalled), some clients (ofetch, openapi-fetch) reject with the
// bare error, and this is how `factsOf` and the ofetch adapter find the answer again.
const failuresByError = new WeakMap<object, BodyFailure>();

/** Notes that `error` ended the body of `failure.answer`. @internal */
export function noteBodyFailure(error: object, failure: BodyFailure): void {
  failuresByError.set(error, failure);
}

/** The answer whose body `error` ended, if surefetch noted one (see `noteBodyFailure`). @internal */
export function bodyFailureOf(error: unknown): BodyFailure | undefined {
  return typeof error === 'object' && error !== null ? failuresByError.get(error) : undefined;
}

/**
 * Reads the {@link CallFacts} of an answer surefetch handed to a wrapping client, from whatever
 * the client gives you: the `Response`, its headers (a `Headers`, axios's headers, a plain
 * record), or an error or result that holds it (`error.response` of ofetch's `FetchError`, ky's
 * `HTTPError` and axios's error; `{ response }` of openapi-fetch), following `cause` chains. A
 * `BodyTimeoutError` a client met reading a refused answer's body leads to that answer's facts.
 * `undefined` when none is found (the answer did not come through `forClient`).
 *
 * @example
 * ```ts
 * try {
 *   await api('/v1/orders/create', { method: 'POST', body });
 * } catch (error) {
 *   const facts = factsOf(error); // ofetch's FetchError → its response → the facts
 *   console.log(facts?.verdict, facts?.attempts, facts?.clientRequestId);
 * }
 * ```
 */
export function factsOf(value: unknown): CallFacts | undefined {
  let current = value;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth += 1) {
    if (current instanceof Response) return factsByResponse.get(current) ?? fromHeaders(current.headers, current.status);
    const failure = failuresByError.get(current);
    if (failure !== undefined) return factsOf(failure.answer);
    const holder = current as { response?: unknown; headers?: unknown; status?: unknown; cause?: unknown };
    if (typeof holder.response === 'object' && holder.response !== null) {
      const found = factsOf(holder.response);
      if (found !== undefined) return found;
    }
    if (typeof holder.headers === 'object' && holder.headers !== null) {
      const found = fromHeaders(holder.headers, typeof holder.status === 'number' ? holder.status : undefined);
      if (found !== undefined) return found;
    }
    current = holder.cause;
  }
  return undefined;
}

const verdicts: readonly string[] = ['success', 'terminal', 'wait', 'transient'];
const sentStates: readonly string[] = ['not-sent', 'ambiguous', 'delivered'];

function fromHeaders(headers: object, status: number | undefined): CallFacts | undefined {
  const read = headerReader(headers);
  const verdict = read(callFactHeaders.verdict);
  const sent = read(callFactHeaders.sent);
  const attempts = Number(read(callFactHeaders.attempts));
  const id = read(callFactHeaders.clientRequestId);
  if (verdict === undefined || !verdicts.includes(verdict) || sent === undefined || !sentStates.includes(sent)) return undefined;
  if (!Number.isInteger(attempts) || id === undefined) return undefined;
  const retryAt = Number(read(callFactHeaders.retryAt));
  return {
    status: status ?? 0,
    verdict: verdict as Verdict,
    sent: sent as SentState,
    attempts,
    clientRequestId: decodeOrKeep(id),
    retryAt: Number.isFinite(retryAt) && read(callFactHeaders.retryAt) !== undefined ? retryAt : undefined,
  };
}

/** `Headers` and axios's headers have `get`; a plain record is read by lower-case name. */
function headerReader(headers: object): (name: string) => string | undefined {
  const get = (headers as { get?: unknown }).get;
  if (typeof get === 'function') {
    return (name) => {
      const value: unknown = get.call(headers, name);
      return typeof value === 'string' ? value : undefined;
    };
  }
  return (name) => {
    const value = (headers as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : undefined;
  };
}
