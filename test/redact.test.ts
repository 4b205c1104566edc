import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSecretHeaderName, redactHeaders, redactText, redactTruncatedText, redactUrl, secretsOf } from '../src/core/redact.js';
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

  it('reads the secrets anew on every call: a list the caller changed, a secret given again in another form', () => {
    const text = 'keys sk_live_first_123456 and sk_live_second%20654321 and sk_live_second+654321';
    const secrets = ['sk_live_first_123456'];
    expect(redactText(text, secrets)).toBe('keys [redacted] and sk_live_second%20654321 and sk_live_second+654321');
    secrets.push('sk_live_second 654321');
    expect(redactText(text, secrets)).toBe('keys [redacted] and [redacted] and [redacted]');
    secrets.shift();
    expect(redactText(text, secrets)).toBe('keys sk_live_first_123456 and [redacted] and [redacted]');
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

describe('secretsOf with other credential forms', () => {
  const key = 'sk_live_51HxQq2eZvKYlo2C0abcdef';
  it.each([
    ['the username of Basic credentials with an empty password (`-u key:`)', { authorization: `Basic ${btoa(`${key}:`)}` }, key],
    ['the value of `key=` without a scheme', { authorization: `key=${key}` }, key],
    ['a quoted `token=` auth-param after a scheme', { authorization: `Token token="${key}"` }, key],
    ['a quoted `token=` auth-param with an escaped quote in it', { authorization: `Token token="${key}\\"x"` }, `${key}"x`],
    ['the Signature of an AWS SigV4 authorization', { authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${key}` }, key],
    ['the access key id of an AWS SigV4 Credential', { authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/s3/aws4_request, Signature=${key}` }, 'AKIAIOSFODNN7EXAMPLE'],
    ['the response of Digest credentials', { authorization: `Digest username="Mufasa", realm="x@host.com", uri="/dir/index.html", qop=auth, nc=00000001, response="${key}"` }, key],
    ['a quoted cookie value without its quotes', { cookie: `theme=dark; sid="${key}"` }, key],
  ])('adds %s', (_name, headers, expected) => {
    expect(secretsOf(new Headers(headers))).toContain(expected);
  });

  it('adds neither the public auth-params nor a short Basic username that has a password', () => {
    const secrets = secretsOf(
      new Headers({
        authorization: `Digest username="Mufasa", realm="testrealm@host.com", uri="/dir/index.html", algorithm=SHA-256, qop=auth, nc=00000001, response="6629fae49393a05397450978507c4ef1"`,
        'proxy-authorization': `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=fe5f80f7`,
        'x-api-key': `Basic ${btoa('api:key-0123456789')}`,
      }),
    );
    for (const value of ['Mufasa', 'testrealm@host.com', '/dir/index.html', 'SHA-256', 'auth', '00000001', 'host;x-amz-date', 'api']) {
      expect(secrets).not.toContain(value);
    }
    expect(secrets).toEqual(expect.arrayContaining(['6629fae49393a05397450978507c4ef1', 'fe5f80f7', 'key-0123456789']));
  });

  it('adds no Basic username that has a password, however long (a login name: `customer`, an email)', () => {
    const secrets = secretsOf(new Headers({ authorization: `Basic ${btoa('customer:pa55-w0rd-123')}` }));
    expect(secrets).toContain('pa55-w0rd-123');
    expect(secrets).not.toContain('customer');
    expect(redactText('customer not found: GET /v1/customers/404', secrets)).toBe('customer not found: GET /v1/customers/404');
  });

  it('adds no OAuth 1.0a signature method, version, timestamp or nonce, but the signature', () => {
    const secrets = secretsOf(new Headers({
      authorization: 'OAuth oauth_consumer_key="ck-0123456789", oauth_signature_method="HMAC-SHA1", oauth_timestamp="1318622958", oauth_nonce="kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", oauth_version="1.0", oauth_signature="tnnArxj06cWHq44gCs1OSKk%2FjLY%3D"',
    }));
    expect(secrets).toContain('tnnArxj06cWHq44gCs1OSKk%2FjLY%3D');
    for (const value of ['HMAC-SHA1', '1318622958', 'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg', '1.0']) expect(secrets).not.toContain(value);
  });

  it('leaves a Bearer token68 with = padding whole', () => {
    expect(secretsOf(new Headers({ authorization: 'Bearer abc123def456==' })).sort()).toEqual(['Bearer abc123def456==', 'abc123def456=='].sort());
  });
});

describe('redactText on escaped echoes', () => {
  const secret = 'Zm9vYmFy/K7MDENG+bPxRfiCYEXAMPLEabcd==';
  const cases: Array<[string, string]> = [
    ['a JSON \\/ escape (PHP json_encode)', secret.replaceAll('/', '\\/')],
    ['a JSON \\u escape, lower case', secret.replaceAll('+', '\\u002b')],
    ['a JSON \\u escape, upper case, of every character', [...secret].map((c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`).join('')],
    ['a decimal HTML entity', secret.replaceAll('+', '&#43;')],
    ['a hex HTML entity', secret.replaceAll('/', '&#x2F;').replaceAll('+', '&#x2b;')],
    ['a named HTML entity', secret.replaceAll('=', '&equals;').replaceAll('/', '&sol;')],
    ['lower-case percent-encoding', encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())],
    ['a mix of forms', secret.replace('/', '%2f').replace('+', '\\u002B').replace('==', '&#61;&#x3d;')],
  ];
  it.each(cases)('removes a secret echoed in %s', (_name, echoed) => {
    expect(redactText(`{"message":"Invalid key ${echoed} here"}`, [secret])).toBe('{"message":"Invalid key [redacted] here"}');
  });

  it('removes an &amp;-escaped secret that contains &', () => {
    expect(redactText('<p>pa&amp;ss&lt;word-1 refused</p>', ['pa&ss<word-1'])).toBe('<p>[redacted] refused</p>');
  });

  it('removes a short secret echoed escaped only as a whole word', () => {
    expect(redactText('bad k\\/y. xk\\/y', ['k/y'])).toBe('bad [redacted]. xk\\/y');
  });

  it('leaves escapes that do not spell a secret as they were', () => {
    const text = '{"path":"\\/v1\\/x","q":"a%2fb","h":"&#43;&amp;&bogus;&#xZZ;\\u00zz%zz"}';
    expect(redactText(text, [secret])).toBe(text);
  });

  it('never leaves a secret that decodes from any mix of escapes in the output', () => {
    const forms = [
      (c: string) => c,
      (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      (c: string) => `&#${c.charCodeAt(0)};`,
      (c: string) => `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`,
      (c: string) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
      (c: string) => (c === '/' ? '\\/' : c),
    ];
    const decode = (text: string): string =>
      text
        .replace(/\\u([0-9a-fA-F]{4})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
        .replace(/&#x([0-9a-fA-F]+);/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
        .replace(/&#(\d+);/g, (_m, dec: string) => String.fromCharCode(Number(dec)))
        .replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
        .replace(/\\\//g, '/');
    const secretArb = fc.stringMatching(/^[A-Za-z0-9/+=_.-]{8,24}$/).filter((value) => !'[redacted]'.includes(value));
    fc.assert(
      fc.property(secretArb, fc.array(fc.nat(forms.length - 1), { minLength: 24, maxLength: 24 }), fc.stringMatching(/^[a-z ]{0,10}$/), (value, picks, around) => {
        const echoed = [...value].map((c, i) => forms[picks[i] ?? 0]!(c)).join('');
        expect(decode(redactText(`${around}${echoed}${around}`, [value]))).not.toContain(value);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('redactText on a long run of name-like text', () => {
  it('reads a 64 KiB body of `a-a-a-…` in well under a second (the name before `key=` is bounded)', () => {
    const text = 'a-'.repeat(32_768);
    const started = performance.now();
    expect(redactText(text, [])).toBe(text);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('still redacts a value after a long name ending in key', () => {
    expect(redactText(`x-${'a'.repeat(40)}-key=s3cr3t-value`, [])).toBe(`x-${'a'.repeat(40)}-key=[redacted]`);
  });
});

describe('redactTruncatedText', () => {
  const key = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc';
  it.each([
    ['a prefix of a secret cut at the end', `invalid api key: ${key.slice(0, 24)}`, [key], 'invalid api key: [redacted]'],
    ['a 4-character prefix', `key ${key.slice(0, 4)}`, [key], 'key [redacted]'],
    ['an escaped prefix', 'key Zm9vYmFy\\/K7M', ['Zm9vYmFy/K7MDENG+bPxRfiCYEXAMPLEabcd=='], 'key [redacted]'],
    ['a prefix ending in half an escape', 'key Zm9vYmFy\\u00', ['Zm9vYmFy/K7MDENG+bPxRfiCYEXAMPLEabcd=='], 'key [redacted]'],
    ['a prefix of the URL-encoded form', 'k=Zm9vYmFy%2FK7', ['Zm9vYmFy/K7MDENG+bPxRfiCYEXAMPLEabcd=='], 'k=[redacted]'],
    ['whole secrets as redactText does', `${key} and ${key.slice(0, 10)}`, [key], '[redacted] and [redacted]'],
  ])('removes %s', (_name, text, secrets, expected) => {
    expect(redactTruncatedText(text, secrets)).toBe(expected);
  });

  it.each([
    ['a 3-character prefix at the end', `key ${key.slice(0, 3)}`],
    ['a prefix of a secret that is not at the end', `key ${key.slice(0, 24)} was cut`],
    ['the prefix of a short secret inside a word', 'hello tok3n1'],
  ])('keeps %s', (_name, text) => {
    expect(redactTruncatedText(text, [key, 'k3n1x9'])).toBe(text);
  });

  it('never leaves 4 or more leading characters of a secret at the end of the output', () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9/+=_.-]{8,40}$/).filter((value) => !'[redacted]'.includes(value));
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z ,.]{0,30}$/), secret, fc.nat(), (before, value, cut) => {
        const kept = value.slice(0, 4 + (cut % (value.length - 3)));
        const out = redactTruncatedText(`${before} ${kept}`, [value]);
        for (let length = 4; length <= value.length; length += 1) expect(out.endsWith(value.slice(0, length))).toBe(false);
      }),
      { numRuns: 1000 },
    );
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
