/**
 * The abort signal of one attempt, when the wrapped fetch is Node's own.
 *
 * Every attempt needs a signal its timeout can abort. On Node 20 an `AbortController`'s signal
 * is an `EventTarget` made transferable, about a kilobyte and several microseconds to build, and
 * undici then registers a finalizer that holds it until a full collection: per request, that was
 * the largest single cost surefetch added to a GET. undici accepts any object shaped like an
 * `AbortSignal` (it checks `aborted` and `addEventListener`, by design, for polyfills), so the
 * attempt hands it this small one instead. It is used only where a probe has shown, once, that
 * the runtime's `Request` follows it (see {@link lightSignalsWork}); elsewhere, and whenever the
 * caller gave a signal of their own, the attempt keeps a real `AbortController`.
 */

type AbortListener = (this: AttemptSignal, event: { readonly type: 'abort'; readonly target: AttemptSignal }) => void;

/** A controller and its signal in one small object: what `send` needs of an `AbortController`. @internal */
export class AttemptSignal {
  aborted = false;
  reason: unknown = undefined;
  // One listener per Request built on it (a redirect's hops build one each), so rarely more than one.
  private listeners: AbortListener[] | undefined;

  // What duck-typing fetch implementations (node-fetch) look for.
  get [Symbol.toStringTag](): string {
    return 'AbortSignal';
  }

  /** This object, typed as the signal fetch takes. */
  get signal(): AbortSignal {
    return this as unknown as AbortSignal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners === undefined) return;
    const event = { type: 'abort', target: this } as const;
    for (const listener of listeners) {
      try {
        listener.call(this, event);
      } catch {
        // As with an EventTarget, one failing listener neither stops the others nor the abort.
      }
    }
  }

  addEventListener(type: string, listener: AbortListener | null): void {
    if (type !== 'abort' || listener === null || this.aborted) return;
    const listeners = (this.listeners ??= []);
    if (!listeners.includes(listener)) listeners.push(listener);
  }

  removeEventListener(type: string, listener: AbortListener | null): void {
    if (type !== 'abort' || this.listeners === undefined) return;
    const index = this.listeners.indexOf(listener as AbortListener);
    if (index >= 0) this.listeners.splice(index, 1);
  }

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  // undici raises the listener limit of every signal it is given through node:events, which
  // wants these two methods (without them it throws, and catches, an error per request).
  getMaxListeners(): number {
    return Number.POSITIVE_INFINITY;
  }

  setMaxListeners(): void {
    // No limit to raise: listeners are kept in a plain list.
  }
}

let verdict: boolean | undefined;

/**
 * Whether this runtime's fetch follows an {@link AttemptSignal}: whether a `Request` built with
 * one aborts when it does, with its reason. Checked once. `false` wherever `Request` insists on
 * a real `AbortSignal` (browsers, Deno, Bun): there attempts use an `AbortController`. @internal
 */
export function lightSignalsWork(): boolean {
  if (verdict !== undefined) return verdict;
  try {
    const signal = new AttemptSignal();
    const request = new Request('http://probe.invalid/', { signal: signal.signal });
    const reason = new Error('probe');
    const before = request.signal.aborted;
    signal.abort(reason);
    verdict = !before && request.signal.aborted && request.signal.reason === reason;
  } catch {
    verdict = false;
  }
  return verdict;
}
