import { afterEach, describe, expect, it } from 'vitest';
import { HttpError, createFetch, createManualClock, requestSecrets, retry, type SurefetchEvent } from '../src/index.js';
import { startEchoSecretsServer } from './hostile/echo-secrets.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

// Payment and login APIs take card security codes, PINs, one-time codes and session tokens in
// the body under short names, and some quote the body back in a validation error.
let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function rejected(path: string, init: RequestInit): Promise<{ error: HttpError; exposed: string }> {
  server = await startEchoSecretsServer({ status: 422 });
  const events: SurefetchEvent[] = [];
  const sureFetch = createFetch({ middleware: [retry()], clock: createManualClock(), onEvent: (event) => events.push(event) });
  const error = (await sureFetch(`${server.url}${path}`, init).catch((e: unknown) => e)) as HttpError;
  expect(error).toBeInstanceOf(HttpError);
  const exposed = JSON.stringify({ message: error.message, serverMessage: error.serverMessage, body: error.body, details: error.details, headers: error.headers, events });
  return { error, exposed };
}

describe('body fields that carry a secret under a short name', () => {
  it('removes a card security code, a PIN, a one-time code, a JWT and an auth value a JSON body carried, and keeps the ordinary fields', async () => {
    const body = JSON.stringify({ card_cvc: '737', pin: '4821', otp: '902211', jwt: 'eyJhbGciOiJIUzI1NiJ9.e30.sig', auth: 'AuthValue-77', shipping: 'express', author: 'Ada' });
    const { exposed } = await rejected('/v1/payments', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    for (const secret of ['737', '4821', '902211', 'eyJhbGciOiJIUzI1NiJ9.e30.sig', 'AuthValue-77']) expect(exposed).not.toContain(secret);
    // The server quoted the other fields too: they are no secret, and stay readable.
    expect(exposed).toContain('express');
    expect(exposed).toContain('Ada');
  });

  it('removes a form body pwd, security_code and Session-Id', async () => {
    const body = new URLSearchParams({ user: 'ada@example.com', pwd: 'hunter2x', security_code: '5512', 'Session-Id': 'sess_81aa02' });
    const { exposed } = await rejected('/login', { method: 'POST', body });
    for (const secret of ['hunter2x', '5512', 'sess_81aa02']) expect(exposed).not.toContain(secret);
    expect(exposed).toContain('ada@example.com');
  });

  it('finds them as JSON numbers, and under longer names (otp_code, totp_code, card_pin, new_pwd, mfa, verification_code)', () => {
    const body = new TextEncoder().encode(
      JSON.stringify({ otp: 902211, card: { cvc: 737 }, otp_code: 'o-111', totp_code: 't-222', card_pin: 'p-333', new_pwd: 'w-444', mfa: 'm-555', verification_code: 'v-666' }),
    );
    const request = { url: 'https://api.test/v1/verify', headers: new Headers({ 'content-type': 'application/json' }), body };
    expect(requestSecrets(request).sort()).toEqual(['737', '902211', 'm-555', 'o-111', 'p-333', 't-222', 'v-666', 'w-444']);
  });

  it('takes a short numeric secret out of what the server sent, but not out of the status, method and URL surefetch writes (where it would mark which number the secret was)', async () => {
    server = await startEchoSecretsServer({ status: 422 });
    const events: SurefetchEvent[] = [];
    const sureFetch = createFetch({ middleware: [retry()], clock: createManualClock(), onEvent: (event) => events.push(event) });
    const body = JSON.stringify({ card_cvc: '422', pin: '2024' });
    const error = (await sureFetch(`${server.url}/v1/orders/422/pay?otp=902211`, { method: 'POST', body, headers: { 'content-type': 'application/json' } }).catch((e: unknown) => e)) as HttpError;
    expect(error).toBeInstanceOf(HttpError);
    // The server quoted both secrets (and the OTP of the query): none of them is left in its text.
    expect(error.serverMessage).toContain('[redacted]');
    expect(JSON.stringify({ serverMessage: error.serverMessage, details: error.details, headers: error.headers })).not.toMatch(/\b(?:422|2024|902211)\b/);
    expect(error.message).toContain('(HTTP 422, POST ');
    expect(error.message).toContain('/v1/orders/422/pay?otp=[redacted]');
    expect(error.operation).toBe('POST /v1/orders/422/pay');
    const giveUp = events.find((event) => event.type === 'give-up');
    expect(JSON.stringify(giveUp)).toContain('/v1/orders/422/pay');
    expect(JSON.stringify(events)).not.toContain('902211');
  });

  it('a JSON error body holding a number equal to the card code is cleaned value by value: it still parses, and its message and details are read', async () => {
    server = await startHostileServer((_seen, response) => {
      response.writeHead(402, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: 422, message: 'Card declined', errors: [{ field: 'card_cvc', message: 'cvc 422 does not match' }], echo: { cvc: 422, password: 'swordfish-9' } }));
    });
    const sureFetch = createFetch({ middleware: [retry()], clock: createManualClock() });
    const body = JSON.stringify({ card_cvc: 422, amount: 1999 });
    const error = (await sureFetch(`${server.url}/v1/charges`, { method: 'POST', body, headers: { 'content-type': 'application/json' } }).catch((e: unknown) => e)) as HttpError;
    expect(error).toBeInstanceOf(HttpError);
    expect(JSON.parse(error.body ?? '')).toEqual({ status: '[redacted]', message: 'Card declined', errors: [{ field: 'card_cvc', message: 'cvc [redacted] does not match' }], echo: { cvc: '[redacted]', password: '[redacted]' } });
    expect(error.serverMessage).toBe('Card declined');
    expect(error.details).toEqual([{ field: 'card_cvc', message: 'cvc [redacted] does not match' }]);
    expect(error.message).toContain('(HTTP 402, POST ');
  });

  it('does not take a name that only contains pin, otp or auth for a secret (shipping, footprint, author)', () => {
    const body = new TextEncoder().encode(JSON.stringify({ shipping: 'ground', footprint: 'small', author: 'Grace', pin: '1234' }));
    const request = { url: 'https://api.test/v1/items', headers: new Headers({ 'content-type': 'application/json' }), body };
    expect(requestSecrets(request)).toEqual(['1234']);
  });
});
