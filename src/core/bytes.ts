import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

// Byte encodings on Web APIs alone (no `Buffer`, no `node:crypto`), so the root entry runs in
// browsers, Deno, Bun and workers as well as Node.

const encoder = new TextEncoder();

/**
 * The UTF-8 byte length of a string, as `Buffer.byteLength(text, 'utf8')` gives it (a lone
 * surrogate counts as U+FFFD, 3 bytes), without encoding it.
 */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

// btoa/atob work on "binary strings"; chunks keep String.fromCharCode's argument list short.
const CHUNK = 0x8000;

/** Standard base64 (with padding) of bytes. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

/** The bytes of a standard base64 string; throws on a character outside the alphabet. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Lower-case hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

/**
 * The SHA-256 of a string's UTF-8 bytes in lower-case hex, synchronously (crypto.subtle is
 * async only). The same digits as `createHash('sha256').update(text).digest('hex')`, so names
 * built from it (limiter ids, Redis keys) did not change when `node:crypto` left.
 */
export function sha256Hex(text: string): string {
  return bytesToHex(sha256(encoder.encode(text)));
}
