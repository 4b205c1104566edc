/**
 * Attempt timeouts on the real clock share one list (and one timer) per duration
 * (src/pipeline/attempt-timeouts.ts). Against a server that never answers: each attempt must
 * still time out at its own time, however many share the list and whenever they started, and
 * an attempt that was answered must leave its list, never to be aborted later.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AttemptTimeoutError, createFetch } from '../src/index.js';
import { timeoutListFor, type TimedEntry } from '../src/pipeline/attempt-timeouts.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

let silent: HostileServer;
let quick: HostileServer;
beforeAll(async () => {
  silent = await startHostileServer(() => undefined);
  // Answers the head at once and the body 600 ms later: past every timeout below.
  quick = await startHostileServer((_seen, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.flushHeaders();
    setTimeout(() => response.end('late body'), 600);
  });
});
afterAll(async () => {
  await silent.close();
  await quick.close();
});

// When a call settles, in ms from `since`, with how it settled.
async function settledAt(call: Promise<Response>, since: number): Promise<{ ms: number; error: unknown }> {
  try {
    await call;
    return { ms: performance.now() - since, error: undefined };
  } catch (error) {
    return { ms: performance.now() - since, error };
  }
}

describe('attempt timeouts of one duration', () => {
  it('time out each attempt at its own time, a later one after the earlier', async () => {
    // A duration no other test uses, so this list starts empty.
    const sureFetch = createFetch({ attemptTimeoutMs: 317 });
    const since = performance.now();
    const first = settledAt(sureFetch(`${silent.url}/v1/orders/first`), since);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const second = settledAt(sureFetch(`${silent.url}/v1/orders/second`), since);
    const [a, b] = await Promise.all([first, second]);
    expect(a.error).toBeInstanceOf(AttemptTimeoutError);
    expect(b.error).toBeInstanceOf(AttemptTimeoutError);
    expect(a.ms).toBeGreaterThanOrEqual(310);
    expect(a.ms).toBeLessThan(450);
    // Started 150 ms later: due at about 467 ms, not with the first.
    expect(b.ms).toBeGreaterThanOrEqual(460);
    expect(b.ms).toBeLessThan(650);
  });

  it('time out 40 attempts in one list, each within its own bound', async () => {
    const sureFetch = createFetch({ attemptTimeoutMs: 211 });
    const since = performance.now();
    const calls = Array.from({ length: 40 }, (_, index) => settledAt(sureFetch(`${silent.url}/v1/orders/${index}`), since));
    const results = await Promise.all(calls);
    for (const { ms, error } of results) {
      expect(error).toBeInstanceOf(AttemptTimeoutError);
      expect(ms).toBeGreaterThanOrEqual(205);
    }
  });

  it('leave an answered attempt alone: its body is read in full after its timeout has passed', async () => {
    const sureFetch = createFetch({ attemptTimeoutMs: 223 });
    const responses = await Promise.all(Array.from({ length: 5 }, () => sureFetch(`${quick.url}/v1/orders/slow-body`)));
    // Each body arrives 600 ms after its head, long after the 223 ms the attempt had.
    const bodies = await Promise.all(responses.map((response) => response.text()));
    expect(bodies).toEqual(Array(5).fill('late body'));
  });

  it('keep per-call durations apart: each call times out at its own attemptTimeoutMs', async () => {
    const sureFetch = createFetch();
    const since = performance.now();
    const long = settledAt(sureFetch(`${silent.url}/v1/orders/long`, { surefetch: { attemptTimeoutMs: 503 } }), since);
    const short = settledAt(sureFetch(`${silent.url}/v1/orders/short`, { surefetch: { attemptTimeoutMs: 197 } }), since);
    const [l, s] = await Promise.all([long, short]);
    expect(s.error).toBeInstanceOf(AttemptTimeoutError);
    expect(l.error).toBeInstanceOf(AttemptTimeoutError);
    expect(s.ms).toBeGreaterThanOrEqual(190);
    expect(s.ms).toBeLessThan(450);
    expect(l.ms).toBeGreaterThanOrEqual(495);
  });
});

describe('a timeout list under fake timers', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  // A test that fakes setTimeout alone (performance.now() keeps real time) must still see
  // its timeouts fire when it advances the fake clock: the timer's firing is the time passing.
  it('expires an entry when its timer fires, though performance.now() did not move', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const list = timeoutListFor(60_013)!;
    const expired: string[] = [];
    const entry = (name: string): TimedEntry => ({ due: 0, newer: undefined, older: undefined, list: undefined, expire: () => expired.push(name) });
    const kept = entry('kept');
    const left = entry('left');
    list.add(kept);
    list.add(left);
    list.remove(left);
    vi.advanceTimersByTime(60_012);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(['kept']);
    expect(kept.list).toBeUndefined();
  });
});
