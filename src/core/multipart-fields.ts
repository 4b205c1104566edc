/**
 * Reading a `multipart/form-data` body (what fetch makes of a `FormData`) as bytes: its
 * boundary, where a byte sequence occurs, and its text fields. Shared by the secrets a request
 * carries (a form's `api_key` or `signature` field, as upload APIs take them) and idempotency's
 * fingerprint of a form, which must not depend on the random boundary.
 */

/**
 * The boundary a `Content-Type` names (RFC 2046: 1 to 70 characters, possibly quoted), for a
 * `multipart/form-data` type only. @internal
 *
 * @example
 * ```ts
 * multipartBoundary('multipart/form-data; boundary=----x1'); // '----x1'
 * ```
 */
export function multipartBoundary(contentType: string | null): string | undefined {
  if (contentType === null || !/^\s*multipart\/form-data\s*;/i.test(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/**
 * A search for `needle` in byte arrays (Boyer-Moore-Horspool, its table built once): where it
 * first occurs in `bytes` at or after `from` and ending by `end`, or -1. Linear on any input: a
 * naive search costs up to the needle's length per byte of a body made of its first byte (a
 * form's boundary starts with dashes). @internal
 *
 * @example
 * ```ts
 * const find = byteSearch(new TextEncoder().encode('--x1'));
 * find(body, 0); // the first delimiter
 * ```
 */
export function byteSearch(needle: Uint8Array): (bytes: Uint8Array, from: number, end?: number) => number {
  const length = needle.length;
  const shift = new Uint32Array(256).fill(Math.max(1, length));
  for (let index = 0; index < length - 1; index += 1) shift[needle[index] ?? 0] = length - 1 - index;
  const last = needle[length - 1];
  return (bytes, from, end = bytes.length) => {
    if (length === 0) return from <= end ? from : -1;
    const stop = Math.min(end, bytes.length);
    for (let at = Math.max(0, from); at + length <= stop; ) {
      const byte = bytes[at + length - 1] ?? 0;
      if (byte === last) {
        let index = length - 2;
        while (index >= 0 && bytes[at + index] === needle[index]) index -= 1;
        if (index < 0) return at;
      }
      at += shift[byte] ?? length;
    }
    return -1;
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const findBlankLine = byteSearch(encoder.encode('\r\n\r\n'));
// Most fields kept, and the longest value kept: a credential is short; a huge text field is no credential.
const MAX_FIELDS = 200;
const MAX_VALUE_BYTES = 64 * 1024;

/**
 * The text fields (`[name, value]`, in order) of a `multipart/form-data` body whose names
 * `keep` accepts (all by default): the parts with a name and no `filename`, whose value is at
 * most 64 KiB; at most 200 are kept. File parts are stepped over unread: one linear scan of the
 * body, whatever it holds. Empty for any other body. @internal
 *
 * @example
 * ```ts
 * multipartTextFields(spec.body, spec.headers.get('content-type')); // [['api_key', '1234'], ...]
 * ```
 */
export function multipartTextFields(body: Uint8Array, contentType: string | null, keep: (name: string) => boolean = () => true): Array<[string, string]> {
  const boundary = multipartBoundary(contentType);
  if (boundary === undefined) return [];
  const delimiter = encoder.encode(`--${boundary}`);
  const findDelimiter = byteSearch(delimiter);
  const fields: Array<[string, string]> = [];
  let at = findDelimiter(body, 0);
  while (at >= 0 && fields.length < MAX_FIELDS) {
    const next = findDelimiter(body, at + delimiter.length);
    if (next < 0) break;
    // A part's head ends before the next delimiter, or the part has none.
    const headEnd = findBlankLine(body, at + delimiter.length, next);
    if (headEnd >= 0) {
      const field = textField(decoder.decode(body.subarray(at + delimiter.length, headEnd)));
      // The value ends with the CRLF that precedes the next delimiter.
      const start = headEnd + 4;
      const end = next - 2;
      if (field !== undefined && keep(field) && end >= start && end - start <= MAX_VALUE_BYTES) fields.push([field, decoder.decode(body.subarray(start, end))]);
    }
    at = next;
  }
  return fields;
}

// The name of a part whose head names one and no file (a `filename` inside the name is the name's).
function textField(head: string): string | undefined {
  const disposition = /content-disposition:[^\r\n]*/i.exec(head)?.[0] ?? '';
  const named = /;\s*name="([^"]*)"/i.exec(disposition);
  if (named === null) return undefined;
  const rest = disposition.slice(0, named.index) + disposition.slice(named.index + named[0].length);
  return /;\s*filename\*?=/i.test(rest) ? undefined : named[1];
}
