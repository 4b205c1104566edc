/**
 * The light per-attempt signal handed to Node's own fetch (src/pipeline/attempt-signal.ts):
 * undici must follow it exactly as it follows an AbortController's signal. Against a real
 * server that never answers, a timed-out attempt must end the exchange (the server sees the
 * client hang up), not leave it running behind a rejected call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttemptTimeoutError, createFetch, type FetchFunction } from '../src/index.js';
import { AttemptSignal, lightSignalsWork } from '../src/pipeline/attempt-signal.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

let silent: HostileServer;
let redirecting: HostileServer;
beforeAll(async () => {
  // Reads the request, then says nothing: only the client can end the exchange.
  silent = await startHostileServer(() => undefined);
  // Redirects once, then goes silent on the hop's target.
  redirecting = await startHostileServer((seen, response) => {
    if (seen.path === '/start') response.writeHead(307, { location: '/silent' }).end();
  });
});
afterAll(async () => {
  await silent.close();
  await redirecting.close();
});

describe('the light attempt signal', () => {
  it('is followed by this runtime\'s Request (the probe Node passes)', () => {
    expect(lightSignalsWork()).toBe(true);
  });

  it('calls every listener once, with the signal as `this`, even when one throws', () => {
    const signal = new AttemptSignal();
    const seen: unknown[] = [];
    const first = function (this: unknown): void {
      seen.push(this);
      throw new Error('listener failure');
    };
    const second = function (this: unknown): void {
      seen.push(this);
    };
    signal.addEventListener('abort', first);
    signal.addEventListener('abort', second);
    signal.addEventListener('abort', second);
    const reason = new Error('why');
    signal.abort(reason);
    signal.abort(new Error('again'));
    expect(seen).toEqual([signal, signal]);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
    expect(() => signal.throwIfAborted()).toThrow(reason);
  });

  it('does not call a removed listener', () => {
    const signal = new AttemptSignal();
    let called = 0;
    const listener = (): void => {
      called += 1;
    };
    signal.addEventListener('abort', listener);
    signal.removeEventListener('abort', listener);
    signal.abort(new Error('why'));
    expect(called).toBe(0);
  });
});

describe('an attempt timeout on Node\'s own fetch', () => {
  it('rejects with AttemptTimeoutError and closes the connection the silent server holds', async () => {
    // The global fetch, watched on its way through, shows which signal the attempt carried.
    const native = globalThis.fetch;
    const given: unknown[] = [];
    globalThis.fetch = (input, init) => {
      given.push(init?.signal);
      return native(input, init);
    };
    let sureFetch: ReturnType<typeof createFetch>;
    try {
      sureFetch = createFetch({ attemptTimeoutMs: 200 });
    } finally {
      globalThis.fetch = native;
    }
    const started = Date.now();
    await expect(sureFetch(`${silent.url}/v1/orders/list`)).rejects.toBeInstanceOf(AttemptTimeoutError);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(given).toHaveLength(1);
    expect(given[0]).toBeInstanceOf(AttemptSignal);
    const seen = silent.requests.at(-1);
    expect(seen?.path).toBe('/v1/orders/list');
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

  it('still lets the caller\'s own signal abort the attempt (an AbortController then)', async () => {
    const sureFetch = createFetch({ attemptTimeoutMs: 30_000 });
    const caller = new AbortController();
    const reason = new Error('caller gave up');
    setTimeout(() => caller.abort(reason), 100);
    await expect(sureFetch(`${silent.url}/v1/orders/caller`, { signal: caller.signal })).rejects.toBe(reason);
    const seen = silent.requests.find((request) => request.path === '/v1/orders/caller');
    await silent.hangUp(seen!);
    expect(seen?.hungUp).toBe(true);
  });

  it('gives a fetch of the caller\'s own a real AbortSignal', async () => {
    const given: unknown[] = [];
    const strict: FetchFunction = (input, init) => {
      given.push(init?.signal);
      return fetch(input, init);
    };
    const sureFetch = createFetch({ fetch: strict, attemptTimeoutMs: 200 });
    await expect(sureFetch(`${silent.url}/v1/orders/strict`)).rejects.toBeInstanceOf(AttemptTimeoutError);
    expect(given).toHaveLength(1);
    expect(given[0]).toBeInstanceOf(AbortSignal);
  });
});
