/**
 * The attempt timeout on Node's own fetch, enforced through the `dispatcher` fetch takes
 * (src/pipeline/attempt-dispatcher.ts) rather than an abort signal. Against real servers that
 * never answer, a timed-out attempt must end the exchange (the server sees the client hang up),
 * not leave it running behind a rejected call; a request still waiting for its connection must
 * fail at once and never be written; an answer whose head is in is the caller's to read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttemptTimeoutError, createFetch, type FetchFunction } from '../src/index.js';
import { AttemptDispatcher, probeAttemptDispatchers, type DispatchHandler } from '../src/pipeline/attempt-dispatcher.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

let silent: HostileServer;
let redirecting: HostileServer;
let slowBody: HostileServer;
beforeAll(async () => {
  // Reads the request, then says nothing: only the client can end the exchange.
  silent = await startHostileServer(() => undefined);
  // Redirects once, then goes silent on the hop's target.
  redirecting = await startHostileServer((seen, response) => {
    if (seen.path === '/start') response.writeHead(307, { location: '/silent' }).end();
  });
  // Answers the head at once and the body 400 ms later.
  slowBody = await startHostileServer((_seen, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.flushHeaders();
    setTimeout(() => response.end('late body'), 400);
  });
  expect(await probeAttemptDispatchers()).toBe(true);
});
afterAll(async () => {
  await silent.close();
  await redirecting.close();
  await slowBody.close();
});

// Counts the attempts sent through an AttemptDispatcher while `work` runs.
async function countingDispatches<T>(work: () => Promise<T>): Promise<{ result: PromiseSettledResult<T>; dispatched: number }> {
  const original = AttemptDispatcher.prototype.dispatch;
  let dispatched = 0;
  AttemptDispatcher.prototype.dispatch = function (this: AttemptDispatcher, options: unknown, handler: DispatchHandler): boolean {
    dispatched += 1;
    return original.call(this, options, handler);
  };
  try {
    const [result] = await Promise.allSettled([work()]);
    return { result: result!, dispatched };
  } finally {
    AttemptDispatcher.prototype.dispatch = original;
  }
}

const globalDispatcher = (): { dispatch(options: unknown, handler: DispatchHandler): boolean } =>
  (globalThis as unknown as Record<symbol, { dispatch(options: unknown, handler: DispatchHandler): boolean }>)[Symbol.for('undici.globalDispatcher.1')]!;

describe('an attempt timeout on Node\'s own fetch', () => {
  it('rejects with AttemptTimeoutError, having sent through an AttemptDispatcher, and closes the connection', async () => {
    const started = Date.now();
    const { result, dispatched } = await countingDispatches(() => createFetch({ attemptTimeoutMs: 200 })(`${silent.url}/v1/orders/list`));
    expect(result.status).toBe('rejected');
    expect((result as PromiseRejectedResult).reason).toBeInstanceOf(AttemptTimeoutError);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(dispatched).toBe(1);
    const seen = silent.requests.find((request) => request.path === '/v1/orders/list');
    await silent.hangUp(seen!);
    expect(seen?.hungUp).toBe(true);
  });

  it('also ends a redirect hop that stalls', async () => {
    const sureFetch = createFetch({ attemptTimeoutMs: 300 });
    await expect(sureFetch(`${redirecting.url}/start`)).rejects.toBeInstanceOf(AttemptTimeoutError);
    const hop = redirecting.requests.find((seen) => seen.path === '/silent');
    expect(hop).toBeDefined();
    await redirecting.hangUp(hop!);
    expect(hop?.hungUp).toBe(true);
  });

  it('fails a request still waiting for its connection at once, and aborts it when it would be written', async () => {
    // The caller's dispatcher holds the request, as a pool with no free connection would.
    const held: DispatchHandler[] = [];
    const holding = { dispatch: (_options: unknown, handler: DispatchHandler): boolean => held.push(handler) > 0 };
    const sureFetch = createFetch({ attemptTimeoutMs: 150 });
    const started = Date.now();
    await expect(sureFetch(`${silent.url}/v1/orders/queued`, { dispatcher: holding })).rejects.toBeInstanceOf(AttemptTimeoutError);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(held).toHaveLength(1);
    const aborted: unknown[] = [];
    held[0]!.onConnect((reason) => aborted.push(reason));
    expect(aborted).toHaveLength(1);
    expect((aborted[0] as DOMException).name).toBe('TimeoutError');
    expect(silent.requests.some((request) => request.path === '/v1/orders/queued')).toBe(false);
  });

  it('sends through the dispatcher the caller chose', async () => {
    let dispatched = 0;
    const counting = {
      dispatch: (options: unknown, handler: DispatchHandler): boolean => {
        dispatched += 1;
        return globalDispatcher().dispatch(options, handler);
      },
    };
    const response = await createFetch({ attemptTimeoutMs: 2000 })(`${slowBody.url}/v1/orders/mine`, { dispatcher: counting });
    expect(await response.text()).toBe('late body');
    expect(dispatched).toBe(1);
  });

  it('lets a mock dispatcher (undici MockAgent-style) see the body as given and answer', async () => {
    // fetch hands a dispatcher reporting isMockActive the body as given, not as a stream.
    const bodies: unknown[] = [];
    const mock = {
      isMockActive: true,
      dispatch: (options: unknown, handler: DispatchHandler): boolean => {
        bodies.push((options as { body?: unknown }).body);
        handler.onConnect(() => undefined);
        handler.onHeaders?.(201, [Buffer.from('content-type'), Buffer.from('text/plain')], () => undefined, 'Created');
        handler.onData?.(Buffer.from('mocked'));
        handler.onComplete?.([]);
        return true;
      },
    };
    const response = await createFetch({ attemptTimeoutMs: 2000 })('http://api.test/v1/notes', { method: 'POST', body: 'hello', dispatcher: mock });
    expect(response.status).toBe(201);
    expect(await response.text()).toBe('mocked');
    // The bytes surefetch buffered (without the forwarded isMockActive: an async stream of them).
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toBeInstanceOf(Uint8Array);
    expect(new TextDecoder().decode(bodies[0] as Uint8Array)).toBe('hello');
  });

  it('does not swap a `dispatcher` that cannot take requests for the global one: the call fails, as with fetch alone', async () => {
    const notADispatcher = { dispatches: 'nothing' };
    const alone = await fetch(`${slowBody.url}/v1/orders/alone`, { dispatcher: notADispatcher } as unknown as RequestInit).then(() => 'answered', () => 'failed');
    const through = await createFetch({ attemptTimeoutMs: 2000 })(`${slowBody.url}/v1/orders/through`, { dispatcher: notADispatcher } as never).then(() => 'answered', () => 'failed');
    expect([alone, through]).toEqual(['failed', 'failed']);
    expect(slowBody.requests.some((request) => request.path.startsWith('/v1/orders/through'))).toBe(false);
  });

  it('leaves an answer whose head is in to the caller, past the attempt timeout', async () => {
    const response = await createFetch({ attemptTimeoutMs: 200 })(`${slowBody.url}/v1/orders/slow-body`);
    expect(await response.text()).toBe('late body');
  });

  it('still lets the caller\'s own signal abort the attempt (an AbortController then)', async () => {
    const caller = new AbortController();
    const reason = new Error('caller gave up');
    setTimeout(() => caller.abort(reason), 100);
    const { result, dispatched } = await countingDispatches(() => createFetch({ attemptTimeoutMs: 30_000 })(`${silent.url}/v1/orders/caller`, { signal: caller.signal }));
    expect((result as PromiseRejectedResult).reason).toBe(reason);
    expect(dispatched).toBe(0);
    const seen = silent.requests.find((request) => request.path === '/v1/orders/caller');
    await silent.hangUp(seen!);
    expect(seen?.hungUp).toBe(true);
  });

  it('gives a global fetch replaced before createFetch (a mock\'s wrapper) a real AbortSignal, and never probes it', async () => {
    const native = globalThis.fetch;
    const given: Array<{ url: string; init: RequestInit | undefined }> = [];
    globalThis.fetch = (input, init) => {
      given.push({ url: String(input), init });
      return native(input, init);
    };
    let sureFetch: ReturnType<typeof createFetch>;
    try {
      sureFetch = createFetch({ attemptTimeoutMs: 200 });
      await expect(sureFetch(`${silent.url}/v1/orders/wrapped`)).rejects.toBeInstanceOf(AttemptTimeoutError);
    } finally {
      globalThis.fetch = native;
    }
    expect(given.map((call) => new URL(call.url).pathname)).toEqual(['/v1/orders/wrapped']);
    expect(given[0]?.init?.signal).toBeInstanceOf(AbortSignal);
    expect((given[0]?.init as { dispatcher?: unknown }).dispatcher).toBeUndefined();
  });

  it('gives a fetch of the caller\'s own a real AbortSignal and no dispatcher', async () => {
    const given: Array<RequestInit | undefined> = [];
    const strict: FetchFunction = (input, init) => {
      given.push(init);
      return fetch(input, init);
    };
    const sureFetch = createFetch({ fetch: strict, attemptTimeoutMs: 200 });
    await expect(sureFetch(`${silent.url}/v1/orders/strict`)).rejects.toBeInstanceOf(AttemptTimeoutError);
    expect(given).toHaveLength(1);
    expect(given[0]?.signal).toBeInstanceOf(AbortSignal);
    expect((given[0] as { dispatcher?: unknown }).dispatcher).toBeUndefined();
  });
});
