/**
 * The sends of one call, counted across every layer. `retry` re-sends after a failure and
 * `rateLimit` after a refusal; each with a limit of its own, the limits would multiply (a
 * reset time in the past once made 36 sends in 91 ms). One tally per call, counted where the
 * request leaves (the terminal send) and consulted by every layer before it sends again,
 * keeps a call's sends within one bound, whichever layer re-sends.
 */

/** The sends of one call and the most it may make. */
export interface SendTally {
  /** Sends so far, the first included (redirect hops are part of their send). */
  readonly sent: number;
  /** Most sends of the call; `Infinity` until a layer sets a bound. */
  readonly maxSends: number;
  /**
   * Sends whose outcome nobody heard: they left and got no answer nor failure of their own yet,
   * or never will (timed out, or given up by a caller who aborted): the API may act on those.
   */
  readonly out: number;
  /** The status of the latest answer, if any came. */
  readonly lastStatus: number | undefined;
  /** Counts one send (called by the terminal send, as the request leaves). */
  note(): void;
  /** One send ended with an answer (its `status`) or a failure of its own (called by the terminal send; not for a timeout or a caller's abort). */
  ended(status?: number): void;
  /** Takes back sends made for another purpose (a circuit breaker's failed probe is the breaker's). */
  waive(count: number): void;
  /** Lowers the bound (a `retry` layer's `maxAttempts`); a higher one is ignored. */
  bound(maxSends: number): void;
  /** Whether another send stays within the bound. */
  mayResend(): boolean;
  /**
   * Called by the terminal send before each send leaves; a promise it returns is awaited first
   * (`idempotency` records a re-send as in flight before it goes), and its rejection fails the
   * attempt unsent. Absent, or `undefined` returned: the send goes at once.
   */
  beforeSend?(): Promise<void> | undefined;
}

/**
 * Creates the tally of one call (`createFetch` does, per call; a lookup gets its own).
 *
 * @example
 * ```ts
 * const sends = createSendTally();
 * sends.bound(4);
 * sends.note();
 * sends.mayResend(); // true: 1 of 4
 * ```
 */
export function createSendTally(maxSends = Number.POSITIVE_INFINITY): SendTally {
  return new Tally(maxSends);
}

// A class, not a closure per method: every call makes one, so it is one object, not seven.
class Tally implements SendTally {
  // The latest answer whose head the send read as it came in, and what it said (see noteAnswerHead).
  answered: Response | undefined = undefined;
  answeredHead: AnswerHead | undefined = undefined;
  sent = 0;
  out = 0;
  lastStatus: number | undefined = undefined;
  maxSends: number;
  constructor(maxSends: number) {
    this.maxSends = maxSends;
  }
  note(): void {
    this.sent += 1;
    this.out += 1;
  }
  ended(status?: number): void {
    this.out = Math.max(0, this.out - 1);
    if (status !== undefined) this.lastStatus = status;
  }
  waive(count: number): void {
    this.sent = Math.max(0, this.sent - Math.max(0, count));
  }
  bound(next: number): void {
    this.maxSends = Math.min(this.maxSends, Math.max(1, next));
  }
  mayResend(): boolean {
    return this.sent < this.maxSends;
  }
}

/** What one answer's head said, read by the send as it came in (`readAnswerHead`). @internal */
export interface AnswerHead {
  /** It carries a field the rate-limit parsers read a number from. */
  readonly rateLimitFields: boolean;
  /** Its `Date` (several joined with `, `, as `Headers.get` joins them); `null` when absent. */
  readonly date: string | null;
}

/**
 * Keeps the head of `response`, the latest answer of the call `sends` counts, for the layers
 * above to read instead of its `Headers`. Fields of the tally rather than a map keyed by it: one
 * per call. @internal
 */
export function noteAnswerHead(sends: SendTally | undefined, response: Response, head: AnswerHead | undefined): void {
  if (!(sends instanceof Tally)) return;
  sends.answered = head === undefined ? undefined : response;
  sends.answeredHead = head;
}

/**
 * The head kept for `response`, when it is the answer it was kept with; `undefined` otherwise
 * (another fetch than Node's own, a layer that replaced the answer): then read its `Headers`. @internal
 */
export function answerHeadOf(sends: SendTally | undefined, response: Response): AnswerHead | undefined {
  return sends instanceof Tally && sends.answered === response ? sends.answeredHead : undefined;
}
