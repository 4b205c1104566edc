import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetch, idempotency, memoryStore, retry, systemClock, createManualClock, type Clock } from '../src/index.js';
import { startRedirectServer } from './hostile/redirects.js';
import type { HostileServer } from './hostile/server.js';
import { startStalledBodyServer } from './hostile/stalled-body.js';

// A call must not leave timers behind: an attempt timeout of 30 s outliving each call holds
// thousands of timers in a busy worker. The recording clock keeps every timer a call starts
// and whether it was still pending (neither fired nor released through its `until` signal)
// when the call returned.
interface Timer {
  readonly ms: number;
  readonly until: AbortSignal | undefined;
  readonly signal: AbortSignal;
}
function recordingClock(base: Clock): Clock & { readonly timers: Timer[] } {
  const timers: Timer[] = [];
  return {
    timers,
    now: () => base.now(),
    sleep: (ms, signal) => base.sleep(ms, signal),
    timeoutSignal: (ms, until) => {
      const signal = base.timeoutSignal(ms, until);
      timers.push({ ms, until, signal });
      return signal;
    },
  };
}
const pending = (clock: ReturnType<typeof recordingClock>): number[] =>
  clock.timers.filter((timer) => timer.until?.aborted !== true && !timer.signal.aborted).map((timer) => timer.ms);

let echo: HostileServer;
beforeAll(async () => {
  echo = await startRedirectServer({ '/moved': { status: 307, location: '/here' }, '/bad': { status: 400 } });
});
afterAll(async () => {
  await echo.close();
});

describe('per-call timers end with the call', () => {
  it.each([
    ['a success after a redirect', '/moved', {}],
    ['an HttpError', '/bad', {}],
  ])('releases the attempt and body timers of %s', async (_name, path) => {
    const clock = recordingClock(systemClock);
    const sureFetch = createFetch({ middleware: [retry()], clock });
    await sureFetch(`${echo.url}${path}`, { method: 'POST', body: '{}' }).then((r) => r.arrayBuffer(), () => undefined);
    expect(clock.timers.length).toBeGreaterThan(0);
    expect(pending(clock)).toEqual([]);
  });

  it('releases the lease heartbeat and replay-copy timers of an idempotent create', async () => {
    const clock = recordingClock(systemClock);
    const sureFetch = createFetch({ middleware: [idempotency({ store: memoryStore(), leaseMs: 60 }), retry()], clock });
    const response = await sureFetch(`${echo.url}/create`, { method: 'POST', body: '{}', surefetch: { idempotencyScope: 'timers-1' } });
    await response.arrayBuffer();
    expect(clock.timers.some((timer) => timer.ms === 20)).toBe(true);
    expect(pending(clock)).toEqual([]);
  });

  it('releases the body timer when an error body stalls', async () => {
    const stalled = await startStalledBodyServer({ status: 500 });
    try {
      const clock = recordingClock(systemClock);
      await createFetch({ clock, bodyTimeoutMs: 100 })(`${stalled.url}/x`).catch(() => undefined);
      expect(clock.timers.map((timer) => timer.ms)).toContain(100);
      expect(pending(clock)).toEqual([]);
    } finally {
      await stalled.close();
    }
  });
});

describe('clock.timeoutSignal with until', () => {
  it.each([
    ['systemClock', systemClock],
    ['a manual clock', createManualClock()],
  ])('%s never fires a timer released before it is due, and fires one that is not', async (_name, clock) => {
    const release = new AbortController();
    const released = clock.timeoutSignal(20, release.signal);
    const kept = clock.timeoutSignal(20, new AbortController().signal);
    release.abort();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(released.aborted).toBe(false);
    expect(kept.aborted).toBe(true);
    expect((kept.reason as DOMException).name).toBe('TimeoutError');
  });
});
