import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codeFromStatus, parseErrorBody, type NormalizedError } from '../src/verdict/error-body.js';

const JSON_TYPE = 'application/json';
const CODE_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const TAG = /<\/?[A-Za-z!][^>]*>/;
const parse = (status: number, contentType: string | null, body: unknown, statusText?: string): NormalizedError =>
  parseErrorBody({
    status,
    contentType,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(statusText === undefined ? {} : { statusText }),
  });

describe('codeFromStatus', () => {
  const cases: Array<[number, string]> = [
    [400, 'BAD_REQUEST'],
    [401, 'UNAUTHORIZED'],
    [403, 'FORBIDDEN'],
    [404, 'NOT_FOUND'],
    [408, 'REQUEST_TIMEOUT'],
    [409, 'CONFLICT'],
    [413, 'PAYLOAD_TOO_LARGE'],
    [422, 'UNPROCESSABLE_ENTITY'],
    [429, 'RATE_LIMITED'],
    [500, 'INTERNAL_SERVER_ERROR'],
    [502, 'BAD_GATEWAY'],
    [503, 'SERVICE_UNAVAILABLE'],
    [504, 'GATEWAY_TIMEOUT'],
    [418, 'CLIENT_ERROR'],
    [507, 'SERVER_ERROR'],
    [302, 'HTTP_302'],
    [0, 'HTTP_0'],
    [Number.NaN, 'HTTP_UNKNOWN'],
    [1e21, 'HTTP_UNKNOWN'],
  ];
  it.each(cases)('maps %d to %s', (status, code) => {
    expect(codeFromStatus(status)).toBe(code);
  });
});

describe('parseErrorBody: the warehouse API (envelope and DRF)', () => {
  it('reads a validation envelope with its field details', () => {
    const body = {
      success: false,
      error: {
        code: 'VALIDATION_ERROR',
        message: 'Some fields are invalid.',
        details: [
          { field: 'order_number', message: 'Missing.' },
          { field: 'items', message: 'Needs one item or more.' },
        ],
      },
    };
    expect(parse(400, JSON_TYPE, body)).toEqual({
      code: 'VALIDATION_ERROR',
      message: 'Some fields are invalid.',
      details: [
        { field: 'order_number', message: 'Missing.' },
        { field: 'items', message: 'Needs one item or more.' },
      ],
      format: 'envelope',
    });
  });

  const envelopes: Array<[number, string, string]> = [
    [400, 'SERVICE_ERROR', 'Unknown SKU: NOPE-1'],
    [422, 'MAPPING_ERROR', 'Could not map payload: <reason>'],
    [404, 'NOT_FOUND', 'No order ERP-77'],
    [409, 'DUPLICATE', 'Location "B-2" exists already.'],
  ];
  it.each(envelopes)('keeps the server code of a %d %s envelope', (status, code, message) => {
    expect(parse(status, JSON_TYPE, { success: false, error: { code, message } })).toEqual({ code, message, details: [], format: 'envelope' });
  });

  it('reads DRF auth errors in the flat {detail} shape', () => {
    expect(parse(401, JSON_TYPE, { detail: 'Key not valid.' })).toEqual({ code: 'UNAUTHORIZED', message: 'Key not valid.', details: [], format: 'drf' });
    expect(parse(403, JSON_TYPE, { detail: 'Scope missing.', code: 'permission_denied' })).toMatchObject({ code: 'permission_denied', format: 'drf' });
  });

  it('reads a DRF {detail: [...]} list', () => {
    expect(parse(400, JSON_TYPE, { detail: ['First problem.', 'Second problem.'] })).toMatchObject({
      message: 'First problem.; Second problem.',
      details: [
        { field: '', message: 'First problem.' },
        { field: '', message: 'Second problem.' },
      ],
      format: 'drf',
    });
  });

  it('reads a DRF field-error dictionary, nested serializers and non_field_errors included', () => {
    const body = { email: ['Not an email.'], address: { zip: ['Too short.'] }, non_field_errors: ['Dates overlap.'] };
    expect(parse(400, JSON_TYPE, body)).toEqual({
      code: 'BAD_REQUEST',
      message: 'email: Not an email.; address.zip: Too short.; Dates overlap.',
      details: [
        { field: 'email', message: 'Not an email.' },
        { field: 'address.zip', message: 'Too short.' },
        { field: '', message: 'Dates overlap.' },
      ],
      format: 'drf',
    });
  });
});

describe('parseErrorBody: the fulfillment API ({message, errors} and plain text)', () => {
  it('splits "field: message" validator strings into details', () => {
    const body = { message: 'Body invalid', errors: ['shipTo.email: Invalid email', 'products: Needs an element', 'no field here'] };
    expect(parse(400, JSON_TYPE, body)).toEqual({
      code: 'BAD_REQUEST',
      message: 'Body invalid',
      details: [
        { field: 'shipTo.email', message: 'Invalid email' },
        { field: 'products', message: 'Needs an element' },
        { field: '', message: 'no field here' },
      ],
      format: 'message',
    });
  });

  it('does not take a sentence before ": " for a field', () => {
    expect(parse(400, JSON_TYPE, { message: 'x', errors: ['Order not cancellable: shipped'] }).details).toEqual([
      { field: '', message: 'Order not cancellable: shipped' },
    ]);
  });

  it.each(['Internal server error', 'Internal Server Error', 'Request failed'])('reads a 500 {message: %j} whatever its capitalization', (message) => {
    expect(parse(500, JSON_TYPE, { message })).toEqual({ code: 'INTERNAL_SERVER_ERROR', message, details: [], format: 'message' });
  });

  it('reads the plain-text 401 served as text/html as text', () => {
    expect(parse(401, 'text/html; charset=utf-8', 'Unauthorized')).toEqual({ code: 'UNAUTHORIZED', message: 'Unauthorized', details: [], format: 'text' });
  });
});

describe('parseErrorBody: other styles', () => {
  it('reads RFC 9457 problem+json with invalid-params', () => {
    const body = {
      type: 'https://api.example.com/problems/invalid',
      title: 'Invalid input',
      status: 400,
      detail: 'Two parameters are wrong.',
      'invalid-params': [
        { name: 'age', reason: 'must be positive' },
        { name: 'color', reason: 'unknown value' },
      ],
    };
    expect(parse(400, 'application/problem+json', body)).toEqual({
      code: 'BAD_REQUEST',
      message: 'Two parameters are wrong.',
      details: [
        { field: 'age', message: 'must be positive' },
        { field: 'color', message: 'unknown value' },
      ],
      format: 'problem+json',
      problemType: 'https://api.example.com/problems/invalid',
    });
  });

  it('reads problem+json errors with JSON pointers and falls back to the title', () => {
    const body = { type: 'about:blank', title: 'Bad input', errors: [{ detail: 'must be a number', pointer: '#/items/0/qty' }] };
    expect(parse(422, 'application/problem+json', body)).toMatchObject({
      message: 'Bad input',
      details: [{ field: 'items.0.qty', message: 'must be a number' }],
      format: 'problem+json',
    });
  });

  it('recognizes a problem document served as application/json by its shape', () => {
    expect(parse(429, JSON_TYPE, { type: 'https://iana.org/quota-exceeded', title: 'Quota used up', status: 429 })).toMatchObject({
      code: 'RATE_LIMITED',
      format: 'problem+json',
      problemType: 'https://iana.org/quota-exceeded',
    });
  });

  const pages: Array<[string, string, string]> = [
    ['the title', '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Other</h1></body></html>', '502 Bad Gateway'],
    ['the first h1 when there is no title', '<html><body><h1 class="x">Service <em>down</em></h1><h1>second</h1></body></html>', 'Service down'],
    ['decoded entities, with decoded markup removed', '<title>A &amp; B &lt;script&gt;x&lt;/script&gt; &#65;&#x42;</title>', 'A & B x AB'],
  ];
  it.each(pages)('summarizes an HTML page by %s', (_name, body, message) => {
    expect(parse(502, 'text/html', body)).toEqual({ code: 'BAD_GATEWAY', message, details: [], format: 'html' });
  });

  it('never quotes an HTML page that has neither title nor h1', () => {
    const body = `<html><body><p>${'stack frame '.repeat(500)}</p></body></html>`;
    expect(parse(500, 'text/html', body)).toMatchObject({ message: 'Internal Server Error', format: 'html' });
  });

  it('recognizes HTML by its tags when the content type is missing', () => {
    expect(parse(503, null, '<html><title>Maintenance</title></html>')).toMatchObject({ message: 'Maintenance', format: 'html' });
  });

  const empties: Array<[number, string | undefined, string]> = [
    [404, 'Not Found', 'Not Found'],
    [404, undefined, 'Not Found'],
    [404, '', 'Not Found'],
    [503, 'Down For Maintenance', 'Down For Maintenance'],
    [418, undefined, 'Client error (HTTP 418)'],
    [599, undefined, 'Server error (HTTP 599)'],
  ];
  it.each(empties)('gives an empty %d body (statusText %j) the message %j', (status, statusText, message) => {
    expect(parse(status, JSON_TYPE, '  \n ', statusText)).toEqual({ code: codeFromStatus(status), message, details: [], format: 'empty' });
  });

  it('reports malformed JSON without throwing, with a message from the status', () => {
    expect(parse(400, JSON_TYPE, '{"message": "cut off')).toEqual({ code: 'BAD_REQUEST', message: 'Bad Request', details: [], format: 'malformed' });
  });

  it('reads JSON served with a wrong content type', () => {
    expect(parse(400, 'text/html', '{"detail":"Nope."}')).toMatchObject({ message: 'Nope.', format: 'drf' });
    expect(parse(400, 'text/plain', '[oops')).toMatchObject({ message: '[oops', format: 'text' });
  });

  const jsonValues: Array<[string, unknown, Partial<NormalizedError>]> = [
    ['a string', '"quota exhausted"', { message: 'quota exhausted', format: 'json' }],
    ['an array of strings', ['a: broken', 'other'], { message: 'a: broken; other', details: [{ field: 'a', message: 'broken' }, { field: '', message: 'other' }], format: 'json' }],
    ['a number', 42, { message: 'Conflict', format: 'json' }],
    ['null', null, { message: 'Conflict', format: 'json' }],
    ['an OAuth error', { error: 'invalid_grant', error_description: 'Refresh token expired' }, { code: 'invalid_grant', message: 'Refresh token expired', format: 'json' }],
    ['a NestJS message list', { statusCode: 409, message: ['email must be unique'], error: 'Conflict' }, { message: 'email must be unique', format: 'message' }],
    ['an unknown object', { foo: 1 }, { code: 'CONFLICT', message: 'Conflict', format: 'json' }],
  ];
  it.each(jsonValues)('reads JSON that is %s', (_name, body, expected) => {
    expect(parse(409, JSON_TYPE, body)).toMatchObject(expected);
  });

  it('ignores a server code that does not look like a code', () => {
    expect(parse(400, JSON_TYPE, { success: false, error: { code: 'not a code!', message: 'x' } }).code).toBe('BAD_REQUEST');
    expect(parse(400, JSON_TYPE, { message: 'x', code: 40001 }).code).toBe('BAD_REQUEST');
  });

  it('collapses whitespace, strips markup tags from JSON messages, keeps placeholders, and caps at 500 characters', () => {
    expect(parse(400, JSON_TYPE, { message: '  two\n\tlines <b>bold</b> <reason> ' }).message).toBe('two lines bold <reason>');
    const long = parse(400, JSON_TYPE, { message: 'x'.repeat(2000) }).message;
    expect(long).toHaveLength(500);
    expect(long.endsWith('…')).toBe(true);
  });

  it('keeps at most 100 details', () => {
    const errors = Array.from({ length: 500 }, (_, index) => `f${index}: bad`);
    expect(parse(400, JSON_TYPE, { message: 'x', errors }).details).toHaveLength(100);
  });
});

describe('parseErrorBody: properties', () => {
  const contentType = fc.oneof(
    fc.constant(null),
    fc.constantFrom('application/json', 'application/problem+json', 'text/html', 'text/html; charset=utf-8', 'text/plain', 'application/xml', ''),
    fc.string({ maxLength: 30 }),
  );
  const status = fc.oneof(fc.integer({ min: 100, max: 599 }), fc.integer(), fc.double());
  const jsonish = fc.jsonValue().map((value) => JSON.stringify(value) ?? '');
  const htmlish = fc
    .array(fc.oneof(fc.string(), fc.constantFrom('<title>', '</title>', '<h1>', '</h1>', '<b>', '&lt;i&gt;', '<', '>', '<!--', '<p class="x">', '&#60;a&#62;')), { maxLength: 20 })
    .map((parts) => parts.join(''));
  const body = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 100 }), jsonish, htmlish);

  it('never throws, caps the message at 500 characters, and always yields a code-like code', () => {
    fc.assert(
      fc.property(status, contentType, body, fc.option(fc.string(), { nil: undefined }), (code, type, text, statusText) => {
        const result = parseErrorBody({ status: code, contentType: type, body: text, ...(statusText === undefined ? {} : { statusText }) });
        expect(result.message.length).toBeGreaterThan(0);
        expect(result.message.length).toBeLessThanOrEqual(500);
        expect(result.code).toMatch(CODE_PATTERN);
        for (const detail of result.details) expect(detail.message.length).toBeLessThanOrEqual(500);
      }),
      { numRuns: 2000 },
    );
  });

  it('never lets a tag through from a body served as HTML', () => {
    fc.assert(
      fc.property(fc.oneof(htmlish, jsonish, fc.string()), fc.constantFrom('text/html', 'text/html; charset=utf-8', 'application/xhtml+xml'), (text, type) => {
        const result = parseErrorBody({ status: 500, contentType: type, body: text });
        expect(result.message).not.toMatch(TAG);
        for (const detail of result.details) expect(detail.message).not.toMatch(TAG);
      }),
      { numRuns: 2000 },
    );
  });
});
