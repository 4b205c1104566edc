import { nodeCodecs } from './body-decoding.js';

/**
 * The `Response` of an exchange sent past Node's fetch (see `dispatchFetch`), reading as fetch's
 * own: its `url` (the request's, without a fragment), `type` `'basic'`, `redirected` `false`, a
 * `clone()` that keeps them, and no own enumerable property. A status or reason phrase fetch
 * passes through but `new Response` refuses (a status of 600 or more, a phrase outside Latin-1)
 * is kept as the server gave it. @internal
 */
export class DispatchedResponse extends Response {
  readonly #url: string;
  // What `new Response` would not take: the server's status and reason phrase, kept as given.
  readonly #status: number | undefined;
  readonly #statusText: string | undefined;

  constructor(body: ReadableStream<Uint8Array> | null, init: ResponseInit, url: string, status?: number, statusText?: string) {
    super(body, init);
    this.#url = url;
    this.#status = status;
    this.#statusText = statusText;
  }

  // The getters fetch's Response has, replaced on this class's prototype (TypeScript's types of
  // Response declare them as fields, which a class body cannot override with accessors).
  static {
    const read = (name: string) => Object.getOwnPropertyDescriptor(Response.prototype, name)!.get! as (this: Response) => unknown;
    const [status, ok, statusText] = [read('status'), read('ok'), read('statusText')];
    const clone = Response.prototype.clone;
    Object.defineProperties(this.prototype, {
      url: { get: function (this: DispatchedResponse) { return #url in this ? this.#url : ''; }, configurable: true },
      type: { get: () => 'basic', configurable: true },
      redirected: { get: () => false, configurable: true },
      // Read by Response's own constructor too, before this class's fields exist.
      status: { get: function (this: DispatchedResponse) { return (#status in this ? this.#status : undefined) ?? status.call(this); }, configurable: true },
      ok: { get: function (this: DispatchedResponse) { return #status in this && this.#status !== undefined ? false : ok.call(this); }, configurable: true },
      statusText: { get: function (this: DispatchedResponse) { return (#statusText in this ? this.#statusText : undefined) ?? statusText.call(this); }, configurable: true },
      // fetch's clone keeps the url and the rest; Response's own would not.
      clone: {
        value: function (this: DispatchedResponse): Response {
          const copy = clone.call(this);
          const body = heldBody(copy.body);
          const twin = new DispatchedResponse(body, { status: status.call(copy) as number, statusText: statusText.call(copy) as string, headers: this.headers }, this.#url, this.#status, this.#statusText);
          if (body !== null) cancelWhenCollected(twin, body);
          return twin;
        },
        configurable: true,
        writable: true,
      },
    });
  }

}

// The body of `clone`'s intermediate Response, read through a reader of its own: unlocked, it would
// be cancelled when that Response is collected (fetch cancels an unread body of a collected Response).
function heldBody(body: ReadableStream<Uint8Array> | null): ReadableStream<Uint8Array> | null {
  if (body === null) return null;
  const reader = body.getReader();
  return new ReadableStream({
    type: 'bytes',
    pull: async (controller) => {
      const { done, value } = await reader.read();
      if (done) controller.close();
      // A byte stream refuses an empty chunk.
      else if (value.byteLength > 0) controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

// As fetch does: the body of a Response collected before anyone read it is cancelled, which ends
// its exchange. The body is held here, not through a WeakRef as fetch holds its own: nothing else
// holds a paused exchange (undici's socket, stopped, is not a root), and a body collected with its
// Response would leave the server's answer hanging.
const collectedUnread = new FinalizationRegistry<ReadableStream<Uint8Array>>((body) => {
  // node:stream's tests of a web stream (the types know only Node's streams).
  const stream = nodeCodecs()?.stream as { isDisturbed(body: unknown): boolean; isErrored(body: unknown): boolean } | undefined;
  if (stream === undefined || body.locked || stream.isDisturbed(body) || stream.isErrored(body)) return;
  body.cancel('Response object has been garbage collected').catch(() => undefined);
});

/** Cancels `body` once `response` is collected, unless someone has read, locked or failed it. @internal */
export function cancelWhenCollected(response: Response, body: ReadableStream<Uint8Array>): void {
  collectedUnread.register(response, body);
}

/** The answer as a {@link DispatchedResponse}; throws only where fetch itself would fail. @internal */
export function dispatchedResponse(body: ReadableStream<Uint8Array> | null, status: number, statusText: string, headers: Headers, url: string): DispatchedResponse {
  // Statuses of 600 and more: fetch hands them over; a Response is made as a 599 that says them.
  const outside = status > 599 ? status : undefined;
  const init = { status: outside === undefined ? status : 599, statusText, headers };
  try {
    return new DispatchedResponse(body, init, url, outside);
  } catch {
    // A reason phrase `new Response` refuses (outside Latin-1): kept as the server gave it.
    return new DispatchedResponse(body, { status: init.status, headers }, url, outside, statusText);
  }
}
