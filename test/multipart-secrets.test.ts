/**
 * multipartTextFields and requestSecrets against fetch's own FormData serialization: names and
 * values with quotes, line breaks, `;` and `=` read back as undici writes them (found in review:
 * a name holding "; filename=", and a credential after 200 other fields).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { multipartTextFields } from '../src/core/multipart-fields.js';
import { HttpError, createFetch, createManualClock, requestSecrets, retry } from '../src/index.js';
import { startEchoSecretsServer } from './hostile/echo-secrets.js';
import type { HostileServer } from './hostile/server.js';

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
async function serialized(form: FormData): Promise<{ body: Uint8Array; type: string }> {
  const request = new Request('http://api.test/upload', { method: 'POST', body: form });
  return { body: new Uint8Array(await request.arrayBuffer()), type: request.headers.get('content-type') ?? '' };
}
const secretsOf = (body: Uint8Array, type: string) => requestSecrets({ url: 'http://api.test/u', headers: new Headers({ 'content-type': type }), body });

describe('parser vs fetch serialization', () => {
  it('fuzz: any name/value (quotes, CR, LF, ;, =) reads back as undici writes it', async () => {
    const escape = (s: string) => s.replace(/\r?\n|\r/g, '\r\n').replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');
    const crlf = (s: string) => s.replace(/\r?\n|\r/g, '\r\n');
    const text = fc.string({ unit: fc.constantFrom('a', '"', '\r', '\n', ';', '=', ' ', 'é', '-', 'name', 'api_key') , maxLength: 12 });
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(text, text), { maxLength: 6 }), async (fields) => {
      const form = new FormData();
      for (const [n, v] of fields) form.append(n, v);
      const { body, type } = await serialized(form);
      expect(multipartTextFields(body, type)).toEqual(fields.map(([n, v]) => [escape(n), crlf(v)]));
    }), { numRuns: 500 });
  });

  it('a text field whose name contains "; filename=" is read as a text field (a fast-check counterexample)', async () => {
    const form = new FormData();
    form.append('api_key; filename=', 'ak-0123456789');
    const { body, type } = await serialized(form);
    expect(multipartTextFields(body, type)).toEqual([['api_key; filename=', 'ak-0123456789']]);
  });

  it('empty value, value with blank lines, Blob with no filename', async () => {
    const form = new FormData();
    form.append('empty', '');
    form.append('token', '\r\n\r\nTOKEN-1234567');
    form.append('blob', new Blob(['api_key']));
    form.append('password', 'pw-0123456789');
    const { body, type } = await serialized(form);
    expect(multipartTextFields(body, type)).toEqual([['empty', ''], ['token', '\r\n\r\nTOKEN-1234567'], ['password', 'pw-0123456789']]);
  });

  it('a credential after 200 ordinary text fields is found (the cap counts kept fields only)', async () => {
    const form = new FormData();
    for (let i = 0; i < 200; i += 1) form.append(`tag${String(i)}`, 'x');
    form.append('api_key', 'ak-0123456789');
    const { body, type } = await serialized(form);
    expect(secretsOf(body, type)).toContain('ak-0123456789');
  });

  it('a deeply nested 64 KiB text/plain JSON-looking body does not throw and yields nothing', () => {
    const body = new TextEncoder().encode('['.repeat(64 * 1024));
    expect(requestSecrets({ url: 'http://a.test/', headers: new Headers({ 'content-type': 'text/plain' }), body })).toEqual([]);
  });
});
