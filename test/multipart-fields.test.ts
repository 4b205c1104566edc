/**
 * multipartTextFields against the platform's own multipart serialization (fetch's FormData
 * encoding, random boundary included): the text fields come back as they were set, in order,
 * file parts are stepped over, and a value past 64 KiB is not kept.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { multipartTextFields } from '../src/core/multipart-fields.js';

/** The body and Content-Type fetch sends for `form`. */
async function serialized(form: FormData): Promise<{ body: Uint8Array; type: string | null }> {
  const request = new Request('http://api.test/upload', { method: 'POST', body: form });
  return { body: new Uint8Array(await request.arrayBuffer()), type: request.headers.get('content-type') };
}

describe('multipartTextFields', () => {
  it('reads back every text field fetch serialized, in order, with files between them stepped over', async () => {
    const field = fc.tuple(fc.stringMatching(/^[a-z_]{1,20}$/), fc.string({ unit: 'grapheme', maxLength: 40 }).filter((value) => !/[\r\n]/.test(value)));
    await fc.assert(
      fc.asyncProperty(fc.array(field, { maxLength: 8 }), fc.array(fc.nat({ max: 4096 }), { maxLength: 3 }), async (fields, files) => {
        const form = new FormData();
        fields.forEach(([name, value], index) => {
          form.append(name, value);
          const size = files[index];
          if (size !== undefined) form.append(`file${String(index)}`, new Blob([new Uint8Array(size).fill(0x2d)]), 'f.bin');
        });
        const { body, type } = await serialized(form);
        expect(multipartTextFields(body, type)).toEqual(fields);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps a value with a line break (as fetch writes it, CRLF) and drops one over 64 KiB', async () => {
    const form = new FormData();
    form.append('note', 'a\nb');
    form.append('huge', 'x'.repeat(64 * 1024 + 1));
    form.append('api_key', 'k-123');
    const { body, type } = await serialized(form);
    expect(multipartTextFields(body, type)).toEqual([
      ['note', 'a\r\nb'],
      ['api_key', 'k-123'],
    ]);
  });

  it('reads nothing of a body whose type is not multipart/form-data or names no boundary', () => {
    const body = new TextEncoder().encode('--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n');
    expect(multipartTextFields(body, 'multipart/form-data; boundary=x')).toEqual([['a', '1']]);
    expect(multipartTextFields(body, 'multipart/form-data; boundary="x"')).toEqual([['a', '1']]);
    expect(multipartTextFields(body, 'multipart/form-data')).toEqual([]);
    expect(multipartTextFields(body, 'text/plain; boundary=x')).toEqual([]);
    expect(multipartTextFields(body, null)).toEqual([]);
  });
});
