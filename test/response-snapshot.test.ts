import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fingerprintRequest, replayResponse, snapshotResponse } from '../src/idempotency/response-snapshot.js';
import type { RequestSpec } from '../src/core/types.js';

const spec = (body: RequestSpec['body'], url = 'https://api.test/v1/orders/create'): RequestSpec =>
  ({ url, method: 'POST', headers: new Headers(), body, replayable: true }) as RequestSpec;

describe('snapshotResponse', () => {
  it('keeps a JSON body as text and drops credential and framing headers', async () => {
    const response = new Response('{"id":"o_1"}', {
      status: 201,
      headers: { 'content-type': 'application/json', 'set-cookie': 'session=abc', 'x-shop-token': 't', 'content-length': '12', 'x-request-id': 'r1' },
    });
    expect(await snapshotResponse(response, 1024)).toEqual({
      status: 201,
      headers: { 'content-type': 'application/json', 'x-request-id': 'r1' },
      body: '{"id":"o_1"}',
      bodyEncoding: 'utf8',
    });
  });

  it('stores a Link header without the credential in its URL', async () => {
    const response = new Response('{}', { headers: { 'content-type': 'application/json', link: '<https://api.test/x?page=2&api_key=k-12345678>; rel="next"' } });
    const stored = await snapshotResponse(response, 1024);
    expect(stored?.headers.link).toBe('<https://api.test/x?page=2&api_key=[redacted]>; rel="next"');
  });

  it.each([
    ['binary content', 'application/pdf', new Uint8Array([0x25, 0x50, 0xff, 0x00])],
    ['text that is not UTF-8', 'text/plain', new Uint8Array([0xc3, 0x28])],
  ])('stores %s as base64', async (_, type, bytes) => {
    const stored = await snapshotResponse(new Response(bytes, { headers: { 'content-type': type } }), 1024);
    expect(stored?.bodyEncoding).toBe('base64');
    expect(new Uint8Array(await replayResponse(stored!).arrayBuffer())).toEqual(bytes);
  });

  it('gives up past maxBodyBytes and on event streams', async () => {
    expect(await snapshotResponse(new Response('x'.repeat(11)), 10)).toBeUndefined();
    expect(await snapshotResponse(new Response('data: 1\n\n', { headers: { 'content-type': 'text/event-stream' } }), 1024)).toBeUndefined();
  });

  it('replays a 204 without a body', async () => {
    const replayed = replayResponse({ status: 204, headers: {}, body: '', bodyEncoding: 'utf8' });
    expect(replayed.status).toBe(204);
    expect(replayed.body).toBeNull();
  });

  it('round-trips any bytes through snapshot and replay', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 256 }), fc.constantFrom('application/json', 'application/octet-stream', 'text/plain'), async (bytes, type) => {
        const stored = await snapshotResponse(new Response(bytes, { status: 200, headers: { 'content-type': type } }), 1024);
        expect(new Uint8Array(await replayResponse(stored!).arrayBuffer())).toEqual(bytes);
      }),
    );
  });
});

describe('fingerprintRequest', () => {
  it('is stable for the same request and differs when the body or URL differs', async () => {
    const body = new TextEncoder().encode('{"a":1}');
    const a = await fingerprintRequest(spec(body));
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await fingerprintRequest(spec(new TextEncoder().encode('{"a":1}')))).toBe(a);
    expect(await fingerprintRequest(spec(new TextEncoder().encode('{"a":2}')))).not.toBe(a);
    expect(await fingerprintRequest(spec(body, 'https://api.test/v1/contacts/create'))).not.toBe(a);
  });
});
