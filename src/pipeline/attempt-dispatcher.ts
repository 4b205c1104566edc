/**
 * The timeout of one attempt on Node's own fetch, enforced where the request meets the
 * connection instead of through an abort signal.
 *
 * Given any signal, Node's fetch (undici) registers the request in a `FinalizationRegistry`
 * and adds a `WeakRef`, a closure and a listener: per GET, measured beside raw fetch, the
 * largest cost left of a per-attempt timeout. undici's fetch also takes a `dispatcher` (its documented extension,
 * what proxies use): an attempt hands it this object, which passes the request on to the
 * dispatcher it would have used and keeps the `abort` undici gives every request as it is
 * written. A timeout then aborts that request (the connection closes) and fails the fetch
 * itself at once, even before a connection was had. Used only where {@link attemptDispatchersWork}
 * has shown that this runtime's fetch calls a dispatcher with undici's handler; elsewhere, and
 * whenever the caller gave a signal, the attempt keeps an `AbortController`.
 */

import { readAnswerHead } from './answer-head.js';
import { noteFetchDefaults } from './fetch-defaults.js';
import type { AnswerHead } from '../core/send-tally.js';

// Where undici (Node's own and the npm package alike) keeps the dispatcher fetch uses by default.
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

type Abort = (reason?: unknown) => void;

/** What undici's `Dispatcher.dispatch` calls back (its handler interface). @internal */
export interface DispatchHandler {
  onConnect(abort: Abort, context?: unknown): void;
  onError(error: unknown): void;
  onUpgrade?(statusCode: number, headers: unknown, socket: unknown): void;
  onResponseStarted?(): void;
  onHeaders?(statusCode: number, headers: unknown, resume: () => void, statusText: string): boolean;
  onData?(chunk: unknown): boolean;
  onComplete?(trailers: unknown): void;
  onBodySent?(chunk: unknown): void;
  onRequestSent?(): void;
}

/** An undici `Dispatcher`, as far as fetch uses one. @internal */
export interface Dispatcher {
  dispatch(options: unknown, handler: DispatchHandler): boolean;
}

/** One attempt's dispatcher: what `send` needs of an `AbortController`, for Node's fetch. @internal */
export class AttemptDispatcher {
  aborted = false;
  reason: unknown = undefined;
  // The request of the current hop (a redirect's hops are dispatched one after the other).
  private current: Relay | undefined;
  private readonly base: Dispatcher | undefined;

  /** @param base - the dispatcher the caller chose, if any; else undici's global one */
  constructor(base: Dispatcher | undefined) {
    this.base = base;
  }

  // fetch hands a mock (undici's MockAgent) the body as given rather than as a stream: asked
  // through this object, it must get the answer of the dispatcher behind it.
  get isMockActive(): boolean {
    return (this.target() as { isMockActive?: unknown } | undefined)?.isMockActive === true;
  }

  dispatch(options: unknown, handler: DispatchHandler): boolean {
    const relay = new Relay(handler);
    this.current = relay;
    if (this.aborted) {
      relay.fail(this.reason);
      return true;
    }
    const base = this.target();
    if (base === undefined) {
      relay.fail(new TypeError('no undici dispatcher to send the request with'));
      return true;
    }
    return base.dispatch(options, relay);
  }

  // The dispatcher the request goes to: the caller's, else undici's global one (read each time:
  // `setGlobalDispatcher` may have replaced it).
  private target(): Dispatcher | undefined {
    return this.base ?? (globalThis as { [GLOBAL_DISPATCHER]?: Dispatcher })[GLOBAL_DISPATCHER];
  }

  /** What the head of the latest hop's answer said, read as it came in (see `readAnswerHead`). */
  get head(): AnswerHead | undefined {
    return this.current?.head;
  }

  /** Ends the attempt: a request not yet answered is aborted and its fetch rejects with `reason`. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.current?.fail(reason);
  }
}

// Passes undici's callbacks on to fetch's handler, until the attempt fails it: from then on the
// handler hears nothing more, and a request still to be written is aborted when it would be.
class Relay implements DispatchHandler {
  head: AnswerHead | undefined = undefined;
  private abortRequest: Abort | undefined;
  private ended = false;
  private answered = false;
  private failure: unknown = undefined;
  private readonly handler: DispatchHandler;

  constructor(handler: DispatchHandler) {
    this.handler = handler;
  }

  fail(reason: unknown): void {
    // Once the answer's head is in, the timeout no longer applies: the body is the caller's.
    if (this.ended || this.answered) return;
    this.ended = true;
    this.failure = reason;
    try {
      this.abortRequest?.(reason);
    } finally {
      this.handler.onError(reason);
    }
  }

  onConnect(abort: Abort, context?: unknown): void {
    if (this.ended) {
      abort(this.failure);
      return;
    }
    this.abortRequest = abort;
    this.handler.onConnect(abort, context);
  }

  onError(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.handler.onError(error);
  }

  onUpgrade(statusCode: number, headers: unknown, socket: unknown): void {
    if (!this.ended) this.handler.onUpgrade?.(statusCode, headers, socket);
  }

  onResponseStarted(): void {
    if (!this.ended) this.handler.onResponseStarted?.();
  }

  onHeaders(statusCode: number, headers: unknown, resume: () => void, statusText: string): boolean {
    if (this.ended) return true;
    if (statusCode >= 200) {
      this.answered = true;
      this.head = readAnswerHead(headers);
    }
    return this.handler.onHeaders?.(statusCode, headers, resume, statusText) ?? true;
  }

  onData(chunk: unknown): boolean {
    if (this.ended) return true;
    return this.handler.onData?.(chunk) ?? true;
  }

  onComplete(trailers: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.handler.onComplete?.(trailers);
  }

  onBodySent(chunk: unknown): void {
    if (!this.ended) this.handler.onBodySent?.(chunk);
  }

  onRequestSent(): void {
    if (!this.ended) this.handler.onRequestSent?.();
  }
}

/** Whether `value` can take requests as an undici dispatcher (it has a `dispatch` method). @internal */
export function isDispatcher(value: unknown): value is Dispatcher {
  return typeof value === 'object' && value !== null && typeof (value as Dispatcher).dispatch === 'function';
}

// Per fetch function: a fetch wrapped later (a test's mock, an instrumentation) is judged anew.
const verdicts = new WeakMap<object, boolean>();
const probes = new WeakMap<object, Promise<boolean>>();

/**
 * Whether attempts on `fetchFunction` (the runtime's global fetch, as `createFetch` found it)
 * may use an {@link AttemptDispatcher}: `true` once a probe has shown that it is Node's own
 * fetch, that it hands a `dispatcher` undici's handler, and that it fails with what the handler
 * is told; `false` where it is not (a wrapper, Bun, Deno, browsers); `undefined` while the probe
 * runs (the first call starts it). @internal
 */
export function attemptDispatchersWork(fetchFunction: unknown): boolean | undefined {
  if (typeof fetchFunction !== 'function') return false;
  const known = verdicts.get(fetchFunction);
  if (known === undefined) void probeAttemptDispatchers(fetchFunction as typeof fetch);
  return known;
}

/**
 * Runs the probe of {@link attemptDispatchersWork} for `fetchFunction` once, and resolves
 * with its verdict. Only a function whose source is Node's own fetch is probed, so no wrapper
 * (a mocking library's, say) ever sees the probe's request; that request goes to a dispatcher
 * that answers it with an error at once, and never reaches the network. @internal
 */
export function probeAttemptDispatchers(fetchFunction: typeof fetch = globalThis.fetch): Promise<boolean> {
  let probing = probes.get(fetchFunction);
  if (probing === undefined) {
    probing = probe(fetchFunction).then((works) => {
      verdicts.set(fetchFunction, works);
      return works;
    });
    probes.set(fetchFunction, probing);
  }
  return probing;
}

// Node's global fetch loads undici's fetch from its internal modules; nothing else does.
function isNodeFetch(fetchFunction: typeof fetch): boolean {
  try {
    return Function.prototype.toString.call(fetchFunction).includes('internal/deps/undici/undici');
  } catch {
    return false;
  }
}

async function probe(fetchFunction: typeof fetch): Promise<boolean> {
  if (!isNodeFetch(fetchFunction)) return false;
  const reason = new Error('surefetch: dispatcher probe');
  let handled = false;
  const probeDispatcher: Dispatcher = {
    dispatch(options, handler) {
      handled = ['onConnect', 'onError', 'onHeaders', 'onData', 'onComplete'].every((name) => typeof (handler as unknown as Record<string, unknown>)[name] === 'function');
      noteFetchDefaults(options);
      handler.onError(reason);
      return true;
    },
  };
  // A port fetch does not refuse (9 is on its list of blocked ports); the dispatcher answers.
  // Over https too: fetch offers another accept-encoding there (see fetchDefaultHeaders).
  const works = await Promise.all(['http', 'https'].map(async (scheme) => {
    try {
      await fetchFunction(`${scheme}://127.0.0.1:2/surefetch-probe`, { dispatcher: probeDispatcher } as RequestInit);
      return false;
    } catch (error) {
      return handled && (error === reason || (error as { cause?: unknown } | null)?.cause === reason);
    }
  }));
  return works.every(Boolean);
}
