/**
 * The per-attempt timeouts of the real clock, kept in one list per duration with one timer
 * each, as Node keeps its own timers, but with the attempt itself as the list's entry: no
 * `Timeout` object per attempt, no timer armed or cleared per attempt (on a keep-alive GET,
 * arming and clearing one was about 1% of the call's CPU). Attempts of one duration come due
 * in the order they started, so a list is a queue: an attempt joins at the tail and leaves from
 * wherever it is when it settles; the list's timer is armed for its head, and when it fires it
 * ends every attempt that is due and re-arms for the next. Like `AbortSignal.timeout`, a list's
 * timer does not keep the process alive.
 */
import { unrefTimer } from '../core/clock.js';

/** What a list holds: an attempt, ended by `expire` when its time is up. @internal */
export interface TimedEntry {
  /** When it is due, on `performance.now()`'s clock. */
  due: number;
  /** Its neighbours in its list (`undefined` at the ends, and once it left). */
  newer: TimedEntry | undefined;
  older: TimedEntry | undefined;
  /** The list it is in, until it leaves. */
  list: TimeoutList | undefined;
  /** Called once, when it is due and still in its list. */
  expire(): void;
}

// Durations with a list: a call's own `attemptTimeoutMs` may be any number, so their count is
// bounded; an attempt of another duration gets a timer of its own (see `send`).
const MAX_LISTS = 32;
const lists = new Map<number, TimeoutList>();

/** The list of `ms`-long timeouts; `undefined` when there are too many durations already. @internal */
export function timeoutListFor(ms: number): TimeoutList | undefined {
  const known = lists.get(ms);
  if (known !== undefined || lists.size >= MAX_LISTS) return known;
  const list = new TimeoutList(ms);
  lists.set(ms, list);
  return list;
}

/** Attempts whose timeout is `ms` long, oldest first. @internal */
export class TimeoutList {
  private oldest: TimedEntry | undefined;
  private newest: TimedEntry | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  // When the timer was armed, and for how long: its firing shows that much time has passed.
  private armedAt = 0;
  private armedMs = 0;
  private readonly ms: number;

  constructor(ms: number) {
    this.ms = ms;
  }

  /** Starts `entry`'s timeout now. */
  add(entry: TimedEntry): void {
    entry.due = performance.now() + this.ms;
    entry.list = this;
    entry.older = this.newest;
    entry.newer = undefined;
    if (this.newest === undefined) this.oldest = entry;
    else this.newest.newer = entry;
    this.newest = entry;
    // A timer armed for an attempt that left since fires early and re-arms for the head then.
    if (this.timer === undefined) this.arm(this.ms);
  }

  /** Takes `entry` out (it settled): its timeout will not fire. */
  remove(entry: TimedEntry): void {
    if (entry.list !== this) return;
    if (entry.older === undefined) this.oldest = entry.newer;
    else entry.older.newer = entry.newer;
    if (entry.newer === undefined) this.newest = entry.older;
    else entry.newer.older = entry.older;
    entry.list = undefined;
    entry.older = undefined;
    entry.newer = undefined;
  }

  private arm(ms: number): void {
    this.armedAt = performance.now();
    this.armedMs = ms;
    this.timer = setTimeout(fire, ms, this);
    unrefTimer(this.timer);
  }

  /** Ends every attempt that is due, then waits for the next one. */
  fireDue(): void {
    this.timer = undefined;
    // A timer may fire a little before `performance.now()` says its time has come (it counts
    // from the event loop's cached time), and under fake timers the two clocks part entirely:
    // the timer's own firing counts as the time it was armed for.
    const now = Math.max(performance.now(), this.armedAt + this.armedMs);
    for (let entry = this.oldest; entry !== undefined && entry.due <= now; entry = this.oldest) {
      this.remove(entry);
      try {
        entry.expire();
      } catch {
        // One attempt's failing abort must not keep the others from timing out.
      }
    }
    if (this.oldest !== undefined) this.arm(Math.max(1, Math.ceil(this.oldest.due - now)));
  }
}

function fire(list: TimeoutList): void {
  list.fireDue();
}
