/**
 * The bytes of a `multipart/form-data` body with its boundary replaced by a fixed token, so that
 * two serializations of the same `FormData` (same part names, values, file names, types and
 * bytes) are equal although `fetch` draws a new random boundary each time. Any other body, or a
 * multipart body whose `Content-Type` names no boundary, is returned as it is.
 *
 * A boundary never occurs inside a part (that is what makes it a boundary), so every occurrence
 * is framing and replacing them all keeps every byte of every part.
 *
 * @example
 * ```ts
 * multipartIdentity(spec.body, spec.headers.get('content-type')); // bytes with '--<boundary>' → '--surefetch-boundary'
 * ```
 */
export function multipartIdentity(body: Uint8Array, contentType: string | null): Uint8Array {
  const boundary = boundaryOf(contentType);
  if (boundary === undefined) return body;
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const needle = Buffer.from(`--${boundary}`, 'latin1');
  const token = Buffer.from('--surefetch-boundary', 'latin1');
  const pieces: Buffer[] = [];
  let from = 0;
  for (let at = bytes.indexOf(needle, from); at >= 0; at = bytes.indexOf(needle, from)) {
    pieces.push(bytes.subarray(from, at), token);
    from = at + needle.length;
  }
  if (pieces.length === 0) return body;
  pieces.push(bytes.subarray(from));
  return Buffer.concat(pieces);
}

// RFC 2046: boundary := 1*70 of a restricted set, possibly quoted.
function boundaryOf(contentType: string | null): string | undefined {
  if (contentType === null || !/^\s*multipart\/form-data\s*;/i.test(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}
