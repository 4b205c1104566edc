import { systemClock, unrefTimer } from '../core/clock.js';
import type { RequestRecord } from '../store/record.js';
import type { RequestStore, StoreCallOptions } from '../store/request-store.js';
import { realDelay } from './record-writer.js';

/**
 * The liveness of the worker process behind pending claims, so that a crashed worker's scope is
 * taken over within `aliveMs` instead of when its per-call lease passes.
 */
export interface OwnerHeartbeat {
  /**
   * Marks this process alive for one call and keeps the mark renewed until `release()`. Resolves
   * the owner token to write in the call's record: it names this process when its mark is
   * written, and is a bare call token (lease rules only) when the store has no marks or the last
   * renewal failed, so doubt never lets another worker take the claim early. Rejects with the
   * store's error when the first mark cannot be written, and with `signal`'s reason on abort.
   */
  readonly hold: (signal?: AbortSignal) => Promise<{ readonly owner: string; readonly release: () => void }>;
  /**
   * Whether the process named in `record.owner` has certainly stopped: its mark lapsed. `false`
   * for an owner that names no process, a store without marks, or a store that did not answer.
   */
  readonly ownerGone: (record: RequestRecord, options?: StoreCallOptions) => Promise<boolean>;
  /** When to look again at a claim held by a live owner: the lease end, or one renewal interval (a third of `aliveMs`) when its process has a mark. */
  readonly retryAt: (record: RequestRecord, now: number) => number;
}

const processMark = /@([0-9a-f-]{36})$/;

/**
 * Creates the process heartbeat of one idempotency layer. While the layer has calls in flight it
 * writes a liveness mark for this process (a fresh random id) that lapses `aliveMs` later by the
 * store's own clock, renewing it every third of that on real time (an unref'd timer that stops
 * one interval after the last call): one store write per interval per process, however many calls run. Each
 * claim's owner token names the process (`<call>@<process>`). A worker that finds a pending
 * claim whose lease has not passed takes it over when the owner's mark has lapsed, through the
 * same compare-and-set as lease expiry; a live owner renews its mark and is never taken over.
 *
 * A frozen (paused) owner's mark lapses too: when it wakes its claim may be another worker's, and
 * its next record write, made before every send, fails its compare-and-set (`LEASE_LOST`).
 *
 * @example
 * ```ts
 * const heartbeat = ownerHeartbeat(store, 3000);
 * const { owner, release } = await heartbeat.hold();
 * try { await claimAndSend(owner); } finally { release(); }
 * ```
 */
export function ownerHeartbeat(store: RequestStore, aliveMs: number): OwnerHeartbeat {
  const processId = crypto.randomUUID();
  const marks = store.markAlive !== undefined && store.isAlive !== undefined;
  const intervalMs = Math.max(10, Math.floor(aliveMs / 3));
  let holds = 0;
  let lastBeatOk = false;
  const seenAlive = new Map<string, number>();
  let running: { readonly stop: AbortController; readonly first: Promise<void> } | undefined;

  /** Stops beating one interval after the last hold ends (sparing back-to-back calls a mark write each). */
  const stopWhenIdle = (): void => {
    const beating = running;
    const idle = setTimeout(() => {
      if (holds > 0 || running !== beating || beating === undefined) return;
      beating.stop.abort();
      running = undefined;
    }, intervalMs);
    unrefTimer(idle);
  };

  function start(): { readonly stop: AbortController; readonly first: Promise<void> } {
    const stop = new AbortController();
    const mark = (): Promise<void> => (store.markAlive?.(processId, aliveMs) ?? Promise.resolve()).then(() => void (lastBeatOk = true));
    const first = mark();
    const beating = { stop, first };
    first.then(
      async () => {
        // A failed beat is retried on the next one; the mark may lapse meanwhile (another worker may then take our claims).
        while (await realDelay(systemClock, intervalMs, stop.signal)) await mark().catch(() => void (lastBeatOk = false));
      },
      () => {
        if (running === beating) running = undefined;
      },
    );
    return beating;
  }

  return {
    async hold(signal) {
      const callToken = crypto.randomUUID();
      if (!marks) return { owner: callToken, release: () => undefined };
      const beating = (running ??= start());
      try {
        // Only a written mark may be named: a claim naming an unwritten one would look dead at once.
        // A store that cannot take the mark fails the call here, as its claim would, within the same bound.
        await untilAborted(beating.first, signal);
      } catch (error) {
        stopWhenIdle();
        throw error;
      }
      holds += 1;
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        holds -= 1;
        stopWhenIdle();
      };
      return { owner: lastBeatOk ? `${callToken}@${processId}` : callToken, release };
    },
    async ownerGone(record, options) {
      const owner = processMark.exec(record.owner)?.[1];
      if (owner === undefined || store.isAlive === undefined) return false;
      // A mark seen alive is not read again for half an interval: pollers waiting on a live owner cost little.
      if ((seenAlive.get(owner) ?? 0) > performance.now()) return false;
      const alive = await store.isAlive(owner, options).catch(() => true);
      if (alive) seenAlive.set(owner, performance.now() + intervalMs / 2);
      else seenAlive.delete(owner);
      if (seenAlive.size > 1000) seenAlive.clear();
      return !alive;
    },
    retryAt(record, now) {
      // One renewal interval: a dead owner's mark lapses within aliveMs, and is seen at most this late.
      return marks && processMark.test(record.owner) ? Math.min(record.leaseUntil, now + intervalMs) : record.leaseUntil;
    },
  };
}

/** `promise`, or a rejection with `signal`'s reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
