const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const SHORT_DAY = '(?:mon|tue|wed|thu|fri|sat|sun)';
const LONG_DAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const MONTH = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';

// Recipients are told to be lenient, so case and the width of spaces are not enforced.
const IMF_FIXDATE = new RegExp(`^${SHORT_DAY}, +(\\d{1,2}) +${MONTH} +(\\d{4}) +${TIME} +GMT$`, 'i');
const RFC_850 = new RegExp(`^${LONG_DAY}, +(\\d{1,2})-${MONTH}-(\\d{2}) +${TIME} +GMT$`, 'i');
const ASCTIME = new RegExp(`^${SHORT_DAY} +${MONTH} +(\\d{1,2}) +${TIME} +(\\d{4})$`, 'i');
const RFC_3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

const DAY_NAME = new RegExp(`^(?:${LONG_DAY}|${SHORT_DAY})$`, 'i');

/**
 * Whether a comma-separated piece is the weekday that opens an IMF-fixdate or RFC 850 date,
 * so that a splitter can keep the date whole.
 *
 * @example
 * ```ts
 * isDayName(' Sun'); // true
 * ```
 */
export function isDayName(piece: string): boolean {
  return DAY_NAME.test(piece.trim());
}

/**
 * Parses an HTTP-date (RFC 9110 §5.6.7) in any of its three forms — IMF-fixdate
 * (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime
 * (`Sun Nov  6 08:49:37 1994`) — or an RFC 3339 timestamp with an explicit offset, which some
 * `X-RateLimit-Reset` fields carry. `Date.parse` is not used: it reads asctime as local time.
 *
 * @param value - the field value
 * @param now - epoch ms; decides the century of an RFC 850 two-digit year
 * @returns epoch ms, or `undefined` when the value is not such a date
 * @example
 * ```ts
 * parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT', Date.now()); // 784111777000
 * ```
 */
export function parseHttpDate(value: string, now: number): number | undefined {
  const text = value.trim();
  let match = IMF_FIXDATE.exec(text);
  if (match !== null) return utc(match[3], match[2], match[1], match[4], match[5], match[6]);
  match = ASCTIME.exec(text);
  if (match !== null) return utc(match[6], match[1], match[2], match[3], match[4], match[5]);
  match = RFC_850.exec(text);
  if (match !== null) {
    const at = utc(`19${match[3] ?? ''}`, match[2], match[1], match[4], match[5], match[6]);
    if (at === undefined) return undefined;
    // RFC 9110: a two-digit year is the most recent past year with those digits, unless
    // that puts it more than 50 years in the past.
    let year = new Date(at).getUTCFullYear();
    while (Date.UTC(year + 100, 0, 1) - now <= 50 * 365.25 * 86_400_000) year += 100;
    return utc(String(year), match[2], match[1], match[4], match[5], match[6]);
  }
  match = RFC_3339.exec(text);
  if (match === null) return undefined;
  const whole = utc(match[1], String(Number(match[2]) - 1), match[3], match[4], match[5], match[6]);
  const offset = match[8] ?? 'Z';
  if (whole === undefined) return undefined;
  // A fraction of a second counts (rounded up to the ms, so a reset is never read early).
  const base = whole + Math.ceil(Number(`0${match[7] ?? ''}`) * 1000);
  if (offset === 'Z' || offset === 'z') return base;
  const sign = offset.startsWith('-') ? -1 : 1;
  const [hours = 0, minutes = 0] = offset.slice(1).split(':').map(Number);
  if (hours > 23 || minutes > 59) return undefined;
  return base - sign * (hours * 60 + minutes) * 60_000;
}

function utc(
  year: string | undefined,
  month: string | undefined,
  day: string | undefined,
  hour: string | undefined,
  minute: string | undefined,
  second: string | undefined,
): number | undefined {
  const monthIndex = /^\d+$/.test(month ?? '') ? Number(month) : MONTHS.indexOf((month ?? '').toLowerCase());
  const parts = [Number(year), Number(day), Number(hour), Number(minute), Math.min(59, Number(second))];
  const [y = NaN, d = NaN, h = NaN, m = NaN, s = NaN] = parts;
  if (monthIndex < 0 || monthIndex > 11 || h > 23 || m > 59 || Number(second) > 60) return undefined;
  const at = Date.UTC(y, monthIndex, d, h, m, s);
  // Date.UTC rolls 31 Feb over into March; a date that rolled over was not a real date.
  if (!Number.isFinite(at) || new Date(at).getUTCDate() !== d) return undefined;
  return at;
}
