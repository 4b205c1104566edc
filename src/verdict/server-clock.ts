/**
 * How far a server's clock runs from ours, measured from the `Date` header of its answers, so
 * that reset times it gives as absolute instants (HTTP-dates, epoch timestamps) are placed on
 * our clock without the whole-second skew margin.
 *
 * `Date` is whole seconds, stamped before the answer reached us, so each sample `Date - now`
 * is a lower bound of the true offset; the largest recent one is the tightest. A wait computed
 * with a lower bound ends at or after the server's instant, never before it. With answers
 * arriving at many phases of the second (any busy API), the bound closes to a few ms.
 */
import { parseHttpDate } from './http-date.js';
import { skewMargin, type WaitClock } from './header-values.js';

/** The offset of one server's clock from ours. */
export interface ServerClock {
  /** Takes one sample from an answer's `Date` header, received at `now` (ours). */
  note(headers: Headers, now: number): void;
  /** Takes one sample from a `Date` value already read from an answer's head (`null`: none), received at `now`. */
  noteDate(value: string | null, now: number): void;
  /** The server's clock less ours, in ms (a lower bound); `undefined` before any sample. */
  offsetMs(now: number): number | undefined;
}

const KEPT = 64;
const MAX_AGE_MS = 600_000;
// An offset beyond a day is a broken `Date`, not a clock: it is not used.
const MAX_OFFSET_MS = 86_400_000;

/**
 * Creates an estimator for one server (one per API).
 *
 * @example
 * ```ts
 * const serverClock = createServerClock();
 * serverClock.note(response.headers, Date.now());
 * parseServerWait(response.headers, { now: Date.now(), serverOffsetMs: serverClock.offsetMs(Date.now()) });
 * ```
 */
export function createServerClock(): ServerClock {
  const samples: Array<{ readonly offset: number; readonly at: number }> = [];
  // Read on every answer, so both ends are cheap: a `Date` equal to the last one is not parsed
  // again (a later arrival within the same second is a looser bound, never a tighter one), and
  // the largest offset is kept until a sample leaves.
  let lastDate: string | undefined;
  let best: number | undefined;
  const forget = (): void => {
    samples.shift();
    best = undefined;
    if (samples.length === 0) lastDate = undefined;
  };
  const noteDate = (value: string | null, now: number): void => {
    if (value === null || value === lastDate) return;
    const stamped = parseHttpDate(value, now);
    if (stamped === undefined || !Number.isFinite(now) || Math.abs(stamped - now) > MAX_OFFSET_MS) return;
    lastDate = value;
    const offset = stamped - now;
    if (samples.length >= KEPT) forget();
    samples.push({ offset, at: now });
    if (best !== undefined || samples.length === 1) best = Math.max(best ?? offset, offset);
  };
  return {
    note(headers: Headers, now: number): void {
      noteDate(headers.get('date'), now);
    },
    noteDate,
    offsetMs(now: number): number | undefined {
      // Old samples go: a server's clock may have been stepped since.
      while (samples.length > 0 && now - (samples[0]?.at ?? now) > MAX_AGE_MS) forget();
      if (samples.length === 0) return undefined;
      if (best === undefined) {
        best = Number.NEGATIVE_INFINITY;
        for (const sample of samples) best = Math.max(best, sample.offset);
      }
      return best;
    },
  };
}

/**
 * The clock a parser reads absolute times with: `now`, the skew margin (sanitized), and the
 * measured offset when there is one.
 *
 * @example
 * ```ts
 * const clock = waitClockOf({ now: Date.now(), skewMarginMs: 1000, serverOffsetMs: 12 });
 * ```
 */
export function waitClockOf(options: { readonly now: number; readonly skewMarginMs?: number | undefined; readonly serverOffsetMs?: number | undefined }): WaitClock {
  const base = { now: options.now, skewMarginMs: skewMargin(options.skewMarginMs) };
  return options.serverOffsetMs === undefined ? base : { ...base, serverOffsetMs: options.serverOffsetMs };
}
