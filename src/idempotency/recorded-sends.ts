import type { SendTally } from '../core/send-tally.js';

/** What {@link recordedSends} tells the layer keeping the call's record. */
export interface SendRecordHooks {
  /** A send ended with an answer that is not a success (`status`), or a failure of its own (none). */
  readonly answered: (status: number | undefined) => void;
  /** A send is about to leave: a promise to await first (it records the send), or `undefined`. */
  readonly beforeSend: () => Promise<void> | undefined;
}

/**
 * The call's send tally as a protected create's sends go through it: counts stay the call's
 * own (`inner`), and the record hears of each send's end and of each send about to leave.
 * Why: the record holds a send "in flight" from before it leaves until the call learns how it
 * ended, and a worker taking the scope over treats such a send as out at the API for its whole
 * lifetime. A send answered (a 500, a 429) is not out; left in the record through retry's
 * backoff, a worker dying in that wait cost its taker that lifetime (a minute by default). Once
 * it is cleared, a later send of any layer (retry, or rateLimit after a refusal, which does not
 * consult the existence check) must be recorded again before it leaves.
 * @internal
 */
export function recordedSends(inner: SendTally, hooks: SendRecordHooks): SendTally {
  return new RecordedSends(inner, hooks);
}

class RecordedSends implements SendTally {
  private readonly inner: SendTally;
  private readonly hooks: SendRecordHooks;
  constructor(inner: SendTally, hooks: SendRecordHooks) {
    this.inner = inner;
    this.hooks = hooks;
  }
  get sent(): number {
    return this.inner.sent;
  }
  get maxSends(): number {
    return this.inner.maxSends;
  }
  get out(): number {
    return this.inner.out;
  }
  get lastStatus(): number | undefined {
    return this.inner.lastStatus;
  }
  note(): void {
    this.inner.note();
  }
  ended(status?: number): void {
    this.inner.ended(status);
    // A success ends the call (its record is settled next); anything else may be followed by a wait.
    if (status === undefined || status < 200 || status >= 300) this.hooks.answered(status);
  }
  waive(count: number): void {
    this.inner.waive(count);
  }
  bound(maxSends: number): void {
    this.inner.bound(maxSends);
  }
  mayResend(): boolean {
    return this.inner.mayResend();
  }
  beforeSend(): Promise<void> | undefined {
    const outer = this.inner.beforeSend?.();
    return outer === undefined ? this.hooks.beforeSend() : outer.then(() => this.hooks.beforeSend());
  }
}
