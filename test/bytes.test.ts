import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64, sha256Hex, toBase64, toHex, utf8ByteLength } from '../src/core/bytes.js';

// The Web-API encodings replaced Buffer and node:crypto: they must give the same bytes and names.
describe('byte encodings without Buffer', () => {
  it('counts UTF-8 bytes as Buffer.byteLength does, lone surrogates included', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => utf8ByteLength(text) === Buffer.byteLength(text, 'utf8')));
    expect(utf8ByteLength('\ud800x\udc00')).toBe(Buffer.byteLength('\ud800x\udc00', 'utf8'));
  });

  it('writes the base64 and hex Buffer writes, and reads base64 back to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70_000, size: 'large' }), (bytes) => {
        const base64 = toBase64(bytes);
        expect(base64).toBe(Buffer.from(bytes).toString('base64'));
        expect(toHex(bytes)).toBe(Buffer.from(bytes).toString('hex'));
        expect(fromBase64(base64)).toEqual(new Uint8Array(bytes));
      }),
      { numRuns: 50 },
    );
  });

  it('hashes to the digits of node:crypto, so limiter ids and their Redis keys are unchanged', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (text) => sha256Hex(text) === createHash('sha256').update(text).digest('hex')));
    expect(sha256Hex('Bearer sk_test').slice(0, 16)).toBe(createHash('sha256').update('Bearer sk_test').digest('hex').slice(0, 16));
  });
});
