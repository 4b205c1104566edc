import { systemClock } from '../core/clock.js';
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
   * the owner token to write in the call's record: it names this process when the mark was
   * written, and is a bare call token (lease rules only) when the store has no marks or did not
   * answer, so doubt never lets another worker take the claim early.
   */
  readonly hold: () => Promise<{ readonly owner: string; readonly release: () => void }>;
  /**
   * Whether the process named in `record.owner` has certainly stopped: its mark lapsed. `false`
   * for an owner that names no process, a store without marks, or a store that did not answer.
   */
  readonly ownerGone: (record: RequestRecord, options?: StoreCallOptions) => Promise<boolean>;
  /** When to look again at a claim held by a live owner: the lease end, or sooner when its process has a mark. */
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
  let running: { stop: AbortController; first: Promise<boolean> } | undefined;

  let lastBeatOk = false;

  function start(): { stop: AbortController; first: Promise<boolean> } {
    const stop = new AbortController();
    const mark = async (): Promise<boolean> => (lastBeatOk = (await store.markAlive?.(processId, aliveMs).then(() => true, () => false)) ?? false);
    const first = mark();
    void (async function beat(): Promise<void> {
      await first;
      // A failed beat is retried on the next one; the mark may lapse meanwhile (another worker may then take our claims).
      while (await realDelay(systemClock, intervalMs, stop.signal)) await mark();
    })();
    return { stop, first };
  }

  return {
    async hold() {
      const callToken = crypto.randomUUID();
      if (!marks) return { owner: callToken, release: () => undefined };
      holds += 1;
      running ??= start();
      const beating = running;
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        holds -= 1;
        // Beating on for one more interval spares back-to-back calls a mark write each.
        setTimeout(() => {
          if (holds > 0 || running !== beating) return;
          beating.stop.abort();
          running = undefined;
        }, intervalMs).unref();
      };
      // Only a freshly written mark may be named: a claim naming a lapsed one would look dead at once.
      await beating.first;
      return { owner: lastBeatOk ? `${callToken}@${processId}` : callToken, release };
    },
    async ownerGone(record, options) {
      const owner = processMark.exec(record.owner)?.[1];
      if (owner === undefined || store.isAlive === undefined) return false;
      return store.isAlive(owner, options).then((alive) => !alive, () => false);
    },
    retryAt(record, now) {
      return marks && processMark.test(record.owner) ? Math.min(record.leaseUntil, now + aliveMs) : record.leaseUntil;
    },
  };
}
