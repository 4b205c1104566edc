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
 * Where `needle` first occurs in `bytes` at or after `from`; -1 when it does not. @internal
 *
 * @example
 * ```ts
 * bytesIndexOf(body, new TextEncoder().encode('--x1'), 0);
 * ```
 */
export function bytesIndexOf(bytes: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  for (let at = bytes.indexOf(first ?? 0, from); at >= 0 && at + needle.length <= bytes.length; at = bytes.indexOf(first ?? 0, at + 1)) {
    let same = true;
    for (let index = 1; index < needle.length && same; index += 1) same = bytes[at + index] === needle[index];
    if (same) return at;
  }
  return -1;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const blankLine = encoder.encode('\r\n\r\n');
// Most fields read, and the longest value kept: a credential is short; a huge text field is no credential.
const MAX_FIELDS = 200;
const MAX_VALUE_BYTES = 64 * 1024;

/**
 * The text fields (`[name, value]`, in order) of a `multipart/form-data` body: the parts with a
 * name and no `filename`, whose value is at most 64 KiB. File parts are stepped over unread, so
 * a large upload costs one scan of its bytes. Empty for any other body. @internal
 *
 * @example
 * ```ts
 * multipartTextFields(spec.body, spec.headers.get('content-type')); // [['api_key', '1234'], ...]
 * ```
 */
export function multipartTextFields(body: Uint8Array, contentType: string | null): Array<[string, string]> {
  const boundary = multipartBoundary(contentType);
  if (boundary === undefined) return [];
  const delimiter = encoder.encode(`--${boundary}`);
  const fields: Array<[string, string]> = [];
  let at = bytesIndexOf(body, delimiter, 0);
  while (at >= 0 && fields.length < MAX_FIELDS) {
    const next = bytesIndexOf(body, delimiter, at + delimiter.length);
    if (next < 0) break;
    const headEnd = bytesIndexOf(body, blankLine, at + delimiter.length);
    if (headEnd >= 0 && headEnd < next) {
      const disposition = /content-disposition:[^\r\n]*/i.exec(decoder.decode(body.subarray(at + delimiter.length, headEnd)))?.[0] ?? '';
      const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1];
      // The value ends with the CRLF that precedes the next delimiter.
      const start = headEnd + blankLine.length;
      const end = next - 2;
      if (name !== undefined && !/;\s*filename\*?=/i.test(disposition) && end >= start && end - start <= MAX_VALUE_BYTES) {
        fields.push([name, decoder.decode(body.subarray(start, end))]);
      }
    }
    at = next;
  }
  return fields;
}
