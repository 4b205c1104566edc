import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSecretHeaderName, redactHeaders, redactText, redactUrl, secretsOf } from '../src/core/redact.js';
import { requestSecrets } from '../src/core/request-secrets.js';

// A 96-character key, the length the fulfillment API's keys have.
const apiKey = `fk_${'a1B2c3D4'.repeat(11)}zyxwv`;

describe('redactHeaders', () => {
  it('redacts credential headers and keeps the rest, with lower-case names', () => {
    const headers = new Headers({
      Authorization: `Bearer ${apiKey}`,
      'Proxy-Authorization': 'Basic dXNlcjpwYXNz',
      Cookie: 'sid=abc',
      'X-Api-Key': 'k1',
      'Api-Key': 'k2',
      'X-Auth-Token': 't1',
      'X-Client-Secret': 's1',
      'X-Shop-Token': 't2',
      'X-Webhook-Signature': 'sig',
      'Idempotency-Key': 'req-123',
      Accept: 'application/json',
      'Content-Type': 'text/plain',
    });
    expect(redactHeaders(headers)).toEqual({
      authorization: '[redacted]',
      'proxy-authorization': '[redacted]',
      cookie: '[redacted]',
      'x-api-key': '[redacted]',
      'api-key': '[redacted]',
      'x-auth-token': '[redacted]',
      'x-client-secret': '[redacted]',
      'x-shop-token': '[redacted]',
      'x-webhook-signature': '[redacted]',
      'idempotency-key': 'req-123',
      accept: 'application/json',
      'content-type': 'text/plain',
    });
  });

  it('accepts a plain record and extra secret names, case-insensitively', () => {
    expect(redactHeaders({ 'X-Partner-Id': 'p-9', 'Set-Cookie': 'a=b', Accept: '*/*' }, ['x-partner-id'])).toEqual({
      'x-partner-id': '[redacted]',
      'set-cookie': '[redacted]',
      accept: '*/*',
    });
  });

  const names: Array<[string, boolean]> = [
    ['authorization', true],
    ['X-Amz-Security-Token', true],
    ['x-session-id', true],
    ['idempotency-key', false],
    ['X-Idempotency-Key', false],
    ['keep-alive', false],
    ['ratelimit-remaining', false],
    ['content-length', false],
  ];
  it.each(names)('treats the header %s as secret: %s', (name, secret) => {
    expect(isSecretHeaderName(name)).toBe(secret);
  });
});

describe('redactUrl', () => {
  const cases: Array<[string, string]> = [
    ['https://user:pass@api.example.com/v1/orders', 'https://api.example.com/v1/orders'],
    ['https://only-a-token@github.example/x', 'https://github.example/x'],
    ['https://api.example.com/v1?api_key=abc&page=2', 'https://api.example.com/v1?api_key=[redacted]&page=2'],
    [
      'https://api.example.com/?apikey=1&key=2&token=3&access_token=4&secret=5&signature=6&sig=7&password=8&q=9',
      'https://api.example.com/?apikey=[redacted]&key=[redacted]&token=[redacted]&access_token=[redacted]&secret=[redacted]&signature=[redacted]&sig=[redacted]&password=[redacted]&q=9',
    ],
    ['https://s3.example/obj?X-Amz-Signature=ab&X-Amz-Credential=cd&x=1', 'https://s3.example/obj?X-Amz-Signature=[redacted]&X-Amz-Credential=[redacted]&x=1'],
    ['https://api.example.com/?API-Key=abc', 'https://api.example.com/?API-Key=[redacted]'],
    ['https://app.example/cb#access_token=abc&state=xyz', 'https://app.example/cb#access_token=[redacted]&state=xyz'],
    ['https://api.example.com/search?keyword=shoes&idempotency_key=k', 'https://api.example.com/search?keyword=shoes&idempotency_key=k'],
    ['/v1/orders?token=abc', '/v1/orders?token=[redacted]'],
    ['http://[::1:bad/?token=abc', 'http://[::1:bad/?token=[redacted]'],
    ['not a url at all', 'not a url at all'],
    ['https://api.example.com/?%ZZ=1&token', 'https://api.example.com/?%ZZ=1&token'],
  ];
  it.each([
    ...cases,
    ['https://api.example.com/?page=2;api_key=abc;q=1', 'https://api.example.com/?page=2;api_key=[redacted];q=1'],
    [
      'https://a.test/?hapikey=1&app_key=2&application_key=3&subscription-key=4&x-api-key=5&jwt=6&pw=7&appid=8&passphrase=9&authorization=10',
      'https://a.test/?hapikey=[redacted]&app_key=[redacted]&application_key=[redacted]&subscription-key=[redacted]&x-api-key=[redacted]&jwt=[redacted]&pw=[redacted]&appid=[redacted]&passphrase=[redacted]&authorization=[redacted]',
    ],
    ['https://a.test/?sort_key=name&public_key=pk&page=2', 'https://a.test/?sort_key=name&public_key=pk&page=2'],
  ])('redacts %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('never throws and never keeps a redacted parameter value', () => {
    fc.assert(
      fc.property(fc.string(), fc.stringMatching(/^[A-Za-z0-9]{1,20}$/), (prefix, value) => {
        const out = redactUrl(`https://h.example/${prefix.replace(/[?#&=]/g, '')}?access_token=${value}`);
        expect(out.endsWith('access_token=[redacted]')).toBe(true);
      }),
    );
  });
});

describe('redactText', () => {
  const cases: Array<[string, string, string[], string]> = [
    ['a given secret', 'key fk_abcdefgh123 was refused', ['fk_abcdefgh123'], 'key [redacted] was refused'],
    ['every occurrence of a secret', 'abcdefgh1 then abcdefgh1', ['abcdefgh1'], '[redacted] then [redacted]'],
    ['a URL-encoded secret', 'url?k=a%2Fb%2Bcdefgh', ['a/b+cdefgh'], 'url?k=[redacted]'],
    ['overlapping secrets as one marker', 'xx0123456789yy', ['01234567', '23456789'], 'xx[redacted]yy'],
    ['a secret shorter than 8 characters where it is a whole word', 'bad key k3y. (k3y)', ['k3y'], 'bad key [redacted]. ([redacted])'],
    ['no short secret inside a longer word', 'HTTP 401 k3yboard', ['1', 'k3y'], 'HTTP 401 k3yboard'],
    ['a short secret that starts with punctuation', 'x=-ab-y', ['-ab-'], 'x=[redacted]y'],
    ['a Bearer token', 'sent Authorization: Bearer eyJhbGciOi.J9x_y', [], 'sent Authorization: Bearer [redacted]'],
    ['an Api-Key credential', 'header Api-Key k_9f8e7d6c5b', [], 'header Api-Key [redacted]'],
    ['a Token credential', 'Token 0123456789abcdef.', [], 'Token [redacted].'],
    ['a Basic credential', 'Basic dXNlcjpwYXNzd29yZA==', [], 'Basic [redacted]'],
    ['query-style credentials', 'GET /x?api_key=abc123&page=2', [], 'GET /x?api_key=[redacted]&page=2'],
    ['query-style credentials under other key names', '/x?hapikey=h1&app_key=a1;subscription-key=s1', [], '/x?hapikey=[redacted]&app_key=[redacted];subscription-key=[redacted]'],
    ['a query credential inside a Link header', '<https://a.test/x?api_key=abc123>; rel="next"', [], '<https://a.test/x?api_key=[redacted]>; rel="next"'],
    ['JSON-style credentials', '{"password": "hunter2", "user": "bo"}', [], '{"password": "[redacted]", "user": "bo"}'],
    ['nothing in plain prose', 'Token expired, Bearer realm required', [], 'Token expired, Bearer realm required'],
  ];
  it.each(cases)('removes %s', (_name, text, secrets, expected) => {
    expect(redactText(text, secrets)).toBe(expected);
  });

  it('never leaves a given secret in the output', () => {
    const secret = fc.string({ minLength: 8, maxLength: 24 }).filter((value) => !/[[\]]/.test(value) && !'[redacted]'.includes(value));
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 20 }), { maxLength: 6 }), fc.array(secret, { minLength: 1, maxLength: 3 }), (pieces, secrets) => {
        const text = pieces.map((piece, index) => piece + (secrets[index % secrets.length] ?? '')).join('');
        const out = redactText(text, secrets);
        for (const value of secrets) expect(out).not.toContain(value);
      }),
      { numRuns: 2000 },
    );
  });

  it('never leaves a given short secret standing as a word of its own', () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9]{1,7}$/).filter((value) => !'[redacted]'.includes(value));
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z ,.:]{0,12}$/), { maxLength: 6 }), secret, (pieces, value) => {
        const text = pieces.map((piece) => ` ${piece} ${value} `).join('');
        const words = redactText(text, [value]).split(/[^A-Za-z0-9]+/);
        expect(words).not.toContain(value);
      }),
      { numRuns: 1000 },
    );
  });

  it('leaves text without secrets or credential patterns unchanged', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z ,.]{0,60}$/), (text) => {
        expect(redactText(text, ['ZZZZZZZZ'])).toBe(text);
      }),
    );
  });
});

describe('secretsOf', () => {
  it('collects full values, scheme tokens, Basic credentials and cookie values, never the idempotency key', () => {
    const headers = new Headers({
      authorization: `Basic ${btoa('shop:pa55word')}`,
      'x-api-key': apiKey,
      cookie: 'sid=s3ss10n-value; theme=dark',
      'idempotency-key': 'req-123',
      accept: 'application/json',
    });
    expect(secretsOf(headers).sort()).toEqual(
      [`Basic ${btoa('shop:pa55word')}`, btoa('shop:pa55word'), 'shop:pa55word', 'pa55word', apiKey, 'sid=s3ss10n-value; theme=dark', 's3ss10n-value', 'dark'].sort(),
    );
  });

  it('feeds redactText so that an error body loses the request key', () => {
    const headers = new Headers({ authorization: `Bearer ${apiKey}` });
    expect(redactText(`rejected key ${apiKey}`, secretsOf(headers))).toBe('rejected key [redacted]');
  });
});

describe('requestSecrets', () => {
  it('learns header values, secret query and fragment values, URL credentials and secret body fields', () => {
    const secrets = requestSecrets({
      url: 'https://bot:pw-1@api.test/x?key=AIza%2F1&page=2#access_token=frag-1',
      headers: new Headers({ 'x-api-key': 'k3y', 'content-type': 'application/x-www-form-urlencoded' }),
      body: new TextEncoder().encode('client_id=app&client_secret=cs-1&key=SKU-1'),
    });
    expect(secrets).toEqual(expect.arrayContaining(['k3y', 'AIza%2F1', 'AIza/1', 'frag-1', 'bot', 'pw-1', 'cs-1']));
    for (const value of ['2', 'app', 'SKU-1']) expect(secrets).not.toContain(value);
  });

  it('learns nested secret fields of a JSON body and nothing else of it', () => {
    const body = new TextEncoder().encode(JSON.stringify({ sku: 'SKU-1', auth: { refresh_token: 'rt-1', user: 'ada' }, list: [{ apiKey: 'ak-1' }] }));
    const secrets = requestSecrets({ url: 'https://api.test/x', headers: new Headers({ 'content-type': 'application/json' }), body });
    expect(secrets.sort()).toEqual(['ak-1', 'rt-1']);
  });
});

describe('redactHeaders with request secrets', () => {
  it('removes echoed secrets and query credentials from ordinary header values', () => {
    const headers = new Headers({ link: '<https://a.test/x?page=2&api_key=abc12345>; rel="next"', 'x-debug': 'key k3y refused' });
    expect(redactHeaders(headers, [], ['k3y'])).toEqual({
      link: '<https://a.test/x?page=2&api_key=[redacted]>; rel="next"',
      'x-debug': 'key [redacted] refused',
    });
  });
});
