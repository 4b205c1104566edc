import { byteSearch, multipartBoundary } from '../core/multipart-fields.js';

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
  const boundary = multipartBoundary(contentType);
  if (boundary === undefined) return body;
  // A boundary is ASCII (RFC 2046), so its UTF-8 bytes are its bytes on the wire.
  const needle = new TextEncoder().encode(`--${boundary}`);
  const find = byteSearch(needle);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (let at = find(body, from); at >= 0; at = find(body, from)) {
    pieces.push(body.subarray(from, at), token);
    from = at + needle.length;
  }
  if (pieces.length === 0) return body;
  pieces.push(body.subarray(from));
  const joined = new Uint8Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
  let offset = 0;
  for (const piece of pieces) {
    joined.set(piece, offset);
    offset += piece.length;
  }
  return joined;
}

const token = new TextEncoder().encode('--surefetch-boundary');
