import type { Clock } from '../core/clock.js';
import type { RequestRecord } from '../store/record.js';
import type { RequestStore } from '../store/request-store.js';

/** Writes one call's request record in order, and keeps its lease alive while the call runs. */
export interface RecordWriter {
  /** The record as last written. */
  readonly current: () => RequestRecord;
  /**
   * Compare-and-sets the record with `changes` (version + 1). Resolves `false` when another
   * worker changed it since (the lease was lost); rejects when the store is unavailable.
   */
  readonly write: (changes: Partial<RequestRecord>) => Promise<boolean>;
  /** Stops the lease heartbeat; later writes still work. */
  readonly stop: () => void;
}

/** Options of {@link createRecordWriter}. */
export interface RecordWriterOptions {
  readonly store: RequestStore;
  readonly ttlMs: number;
  readonly clock: Clock;
  /** Lease length: the heartbeat renews `leaseUntil` to now + `leaseMs` every third of it. */
  readonly leaseMs: number;
}

/**
 * Starts writing a claimed record: every write is a compare-and-set on the last version, writes
 * never overlap, and a heartbeat renews the lease every `leaseMs / 3` of real time (through
 * `clock.timeoutSignal`, so a manual clock does not spin it) until `stop()`, which also
 * releases the pending beat's timer. A live worker thus
 * never loses its claim to one that presumes it dead, however long its call takes; only a
 * worker that stopped beating (crashed, frozen, cut off from the store) can be taken over.
 *
 * @example
 * ```ts
 * const writer = createRecordWriter(claimed, { store, ttlMs, clock, leaseMs: 30_000 });
 * try { await send(); } finally { writer.stop(); }
 * ```
 */
export function createRecordWriter(claimed: RequestRecord, options: RecordWriterOptions): RecordWriter {
  const { store, ttlMs, clock, leaseMs } = options;
  let record = claimed;
  let chain: Promise<unknown> = Promise.resolve();
  const stopped = new AbortController();

  const write = (changes: Partial<RequestRecord>): Promise<boolean> => {
    const run = chain.then(async () => {
      const next: RequestRecord = { ...record, ...changes, version: record.version + 1, updatedAt: clock.now() };
      const ok = await store.update(next, record.version, ttlMs);
      if (ok) record = next;
      return ok;
    });
    chain = run.catch(() => undefined);
    return run;
  };

  void (async function heartbeat(): Promise<void> {
    const intervalMs = Math.max(10, Math.floor(leaseMs / 3));
    while (await realDelay(clock, intervalMs, stopped.signal)) {
      // A store error is retried on the next beat; a lost compare-and-set ends the beating.
      const renewed = await write({ leaseUntil: clock.now() + leaseMs }).catch(() => true);
      if (!renewed) return;
    }
  })();

  return { current: () => record, write, stop: () => stopped.abort() };
}

/**
 * Resolves `true` after `ms` of real time (through `clock.timeoutSignal`, so a manual clock
 * does not spin a heartbeat), or `false` as soon as `stop` aborts.
 *
 * @example
 * ```ts
 * while (await realDelay(clock, 10_000, stopped.signal)) await renew();
 * ```
 */
export function realDelay(clock: Clock, ms: number, stop: AbortSignal): Promise<boolean> {
  if (stop.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = clock.timeoutSignal(ms, stop);
    const done = (): void => {
      timer.removeEventListener('abort', done);
      stop.removeEventListener('abort', done);
      resolve(!stop.aborted);
    };
    timer.addEventListener('abort', done, { once: true });
    stop.addEventListener('abort', done, { once: true });
  });
}
