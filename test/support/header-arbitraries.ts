import fc from 'fast-check';

/** Every header the wait and rate-limit parsers read. */
export const WAIT_HEADERS = [
  'retry-after',
  'ratelimit',
  'ratelimit-policy',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'x-ratelimit-retry-after',
  'x-rate-limit-limit',
  'x-rate-limit-remaining',
  'x-rate-limit-reset',
] as const;

// Values a Headers object accepts: visible ASCII, space, tab and some Latin-1.
const headerChar = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
  fc.constantFrom('\t', 'é', 'ÿ', '0', '1', '9', ',', ';', '=', '"', '.', '-', ' '),
);

const tricky = fc.constantFrom(
  '',
  ' ',
  '-1',
  '0',
  '1.5',
  '1e400',
  '1e3',
  'NaN',
  'Infinity',
  '99999999999999999999',
  '1704067200',
  '1704067199',
  '999999999999',
  '1000000000000',
  '31536000',
  '31536001',
  'Sun, 06 Nov 1994 08:49:37 GMT',
  'Sunday, 06-Nov-94 08:49:37 GMT',
  'Sun Nov  6 08:49:37 1994',
  'Fri, 31 Dec 9999 23:59:59 GMT',
  '2026-11-25T12:00:00Z',
  '"default";r=0;t=30',
  '"a";r=0;t=99999999999999',
  'default;r=0;t=1.5, "b";r=0;t=-4',
  'limit=10, remaining=0, reset=5',
  '100, 100;w=60',
  '"burst";q=100;w=60',
  ',,,',
  '"unterminated',
  '(1 2);r=0;t=3',
);

/** An arbitrary header value: random characters, tricky literals, or comma-joined mixes of both. */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: headerChar, maxLength: 40 }),
  tricky,
  fc.array(fc.oneof(tricky, fc.string({ unit: headerChar, maxLength: 12 })), { minLength: 1, maxLength: 4 }).map((parts) => parts.join(', ')),
  fc.integer({ min: -1e6, max: Number.MAX_SAFE_INTEGER }).map(String),
  fc.double({ noNaN: false }).map(String),
);
