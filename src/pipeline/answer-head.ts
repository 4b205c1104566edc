/**
 * What the layers read of every answer's head, taken from undici's raw header list as it comes
 * in, where a send goes through an `AttemptDispatcher`: whether any rate-limit field is there,
 * and the `Date`. Reading them from the `Response` costs more than the rest of a layer's work:
 * each pass over undici's `Headers` sorts a fresh copy of the list, and each `get` validates
 * its name. The raw list is a few short byte strings, told apart by length and a few bytes.
 */
import { latin1Text } from './latin1-text.js';
import { RATE_LIMIT_FIELD_NAMES } from '../verdict/rate-limit-headers.js';
import type { AnswerHead } from '../core/send-tally.js';

const LOWER = 0x20;

// The names read, lower case, as bytes, by length: most names of an answer have a length none
// of them has, and the rest differ within a few bytes. Nothing is decoded to compare them.
const namesByLength = new Map<number, Uint8Array[]>();
for (const name of RATE_LIMIT_FIELD_NAMES) {
  const bytes = Uint8Array.from(name, (char) => char.charCodeAt(0));
  namesByLength.set(bytes.length, [...(namesByLength.get(bytes.length) ?? []), bytes]);
}
const DATE = Uint8Array.of(0x64, 0x61, 0x74, 0x65);

/**
 * Reads `raw` (undici's `[name, value, name, value, ...]` as bytes); `undefined` when it is not
 * such a list, and the layers then read the `Response`'s headers as before. @internal
 */
export function readAnswerHead(raw: unknown): AnswerHead | undefined {
  if (!Array.isArray(raw) || raw.length % 2 !== 0) return undefined;
  let rateLimitFields = false;
  let date: string | null = null;
  for (let index = 0; index < raw.length; index += 2) {
    const name: unknown = raw[index];
    const value: unknown = raw[index + 1];
    if (!(name instanceof Uint8Array) || !(value instanceof Uint8Array)) return undefined;
    if (sameName(name, DATE)) {
      // As a Headers made with its public API holds it (undici's parser takes the leading
      // whitespace off, `append` the trailing: dispatchFetch's answers; fetch's own keep the
      // trailing, which parseHttpDate ignores); several are joined, as Headers.get joins them.
      const text = dateText(value);
      if (text === undefined) return undefined;
      date = date === null ? text : `${date}, ${text}`;
    } else if (!rateLimitFields) {
      const candidates = namesByLength.get(name.length);
      if (candidates !== undefined) for (const candidate of candidates) if (sameName(name, candidate)) rateLimitFields = true;
    }
  }
  return { rateLimitFields, date };
}

// Whether `name` is `lower` in any case (the names compared are letters and dashes).
function sameName(name: Uint8Array, lower: Uint8Array): boolean {
  if (name.length !== lower.length) return false;
  for (let index = 0; index < lower.length; index += 1) if ((name[index]! | LOWER) !== lower[index]) return false;
  return true;
}

// The last `Date` decoded: answers of one second share it, and it is not decoded again.
let lastDate: { readonly bytes: Uint8Array; readonly text: string } | undefined;
// Longer than any date: left to the Headers.
const MAX_DATE_BYTES = 256;

function dateText(value: Uint8Array): string | undefined {
  const last = lastDate;
  if (last !== undefined && last.bytes.length === value.length && sameBytes(last.bytes, value)) return last.text;
  if (value.length > MAX_DATE_BYTES) return undefined;
  // Latin-1, byte for byte, as undici decodes a value; trailing spaces and tabs off.
  const text = latin1Text(value).replace(/[ \t]+$/, '');
  lastDate = { bytes: value.slice(), text };
  return text;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let index = 0; index < a.length; index += 1) if (a[index] !== b[index]) return false;
  return true;
}
