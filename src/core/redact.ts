/** What every redacted value is replaced with. */
export const REDACTED = '[redacted]';

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key', 'x-auth-token']);
const SECRET_HEADER_PARTS = ['secret', 'token', 'key', 'password', 'passwd', 'credential', 'signature', 'session', 'cookie'];
// An idempotency key identifies a request; it grants nothing and is needed to debug replays.
const PUBLIC_HEADERS = new Set(['idempotency-key', 'x-idempotency-key']);
// Query names are compared lower-case with `-`, `_` and spaces removed: `api_key`, `API-Key` → `apikey`.
const SECRET_PARAMS = new Set([
  'key', 'sig', 'pw', 'pwd', 'pass', 'passwd', 'passphrase', 'auth', 'authorization', 'jwt', 'appid', 'sessionid',
  'credential', 'credentials', 'xamzcredential',
]);
const SECRET_PARAM_PARTS = ['token', 'secret', 'password', 'signature', 'apikey'];
// Any other name ending in `key` is taken for a credential (`hapikey`, `app_key`, `subscription-key`), but these.
const PUBLIC_KEY_PARAMS = new Set([
  'idempotencykey', 'publickey', 'publishablekey', 'sortkey', 'partitionkey', 'primarykey', 'cachekey',
]);
// Given secrets this long are removed wherever they appear; shorter ones only as a whole word,
// so that a 3-character key does not eat every "401" or "key" in a message.
const MIN_SECRET_LENGTH = 8;
const NAMES = 'api[_-]?key|access[_-]?token|refresh[_-]?token|id[_-]?token|auth[_-]?token|client[_-]?secret|secret|password|passwd|signature';
const SCHEME_TOKEN = /\b(?:Bearer|Basic|Digest|Token|Api-?Key)\s+([A-Za-z0-9\-._~+/]*[A-Za-z0-9\-_~+/]=*)/dgi;
const QUERY_VALUE = new RegExp(`\\b(?:${NAMES}|[\\w-]*key|token|sig|jwt|pwd?|passphrase|appid|authorization)=([^\\s&;#"',<>]+)`, 'dgi');
const JSON_VALUE = new RegExp(`"(?:${NAMES}|token)"\\s*:\\s*"([^"]+)"`, 'dgi');

/**
 * Whether a header carries a credential: `authorization`, `proxy-authorization`, `cookie`,
 * `set-cookie`, `x-api-key`, `api-key`, `x-auth-token`, any name containing `secret`, `token`,
 * `key`, `password`, `credential`, `signature` or `session` (but not `idempotency-key`), and
 * any of `extraSecretNames` (case-insensitive).
 *
 * @example
 * ```ts
 * isSecretHeaderName('X-Shop-Token'); // true
 * isSecretHeaderName('Idempotency-Key'); // false
 * ```
 */
export function isSecretHeaderName(name: string, extraSecretNames: readonly string[] = []): boolean {
  const lower = name.trim().toLowerCase();
  if (extraSecretNames.some((extra) => extra.trim().toLowerCase() === lower)) return true;
  if (PUBLIC_HEADERS.has(lower)) return false;
  return SECRET_HEADERS.has(lower) || SECRET_HEADER_PARTS.some((part) => lower.includes(part));
}

/**
 * A plain copy of headers (lower-case names) with every credential value replaced by
 * `'[redacted]'`, and credentials inside the other values (a `Link` URL with `?api_key=`, an
 * echoed key among `secrets`) removed as {@link redactText} does, fit for errors, events and logs.
 *
 * @param extraSecretNames - further header names to redact (e.g. a vendor's `X-Shop-Id`)
 * @param secrets - credential values to remove from the other values, e.g. from `requestSecrets`
 * @example
 * ```ts
 * redactHeaders(new Headers({ authorization: 'Bearer abc', accept: 'application/json' }));
 * // { authorization: '[redacted]', accept: 'application/json' }
 * ```
 */
export function redactHeaders(
  headers: Headers | Record<string, string>,
  extraSecretNames: readonly string[] = [],
  secrets: readonly string[] = [],
): Record<string, string> {
  const out: Record<string, string> = {};
  const entries = typeof headers.entries === 'function' ? [...(headers as Headers).entries()] : Object.entries(headers);
  for (const [name, value] of entries) {
    const lower = name.toLowerCase();
    out[lower] = isSecretHeaderName(lower, extraSecretNames) ? REDACTED : redactText(String(value), secrets);
  }
  return out;
}

/**
 * A URL fit for logs: `user:password@` removed, and the values of query (and fragment)
 * parameters named like credentials (see {@link isSecretParamName}; `&` and `;` both separate
 * parameters) replaced by `[redacted]`. Works on the text, so
 * a relative or malformed URL is redacted too, and the rest is left exactly as it was.
 * Never throws.
 *
 * @example
 * ```ts
 * redactUrl('https://u:p@api.example.com/v1?api_key=abc&page=2');
 * // 'https://api.example.com/v1?api_key=[redacted]&page=2'
 * ```
 */
export function redactUrl(url: string): string {
  const text = String(url).replace(/^([A-Za-z][A-Za-z0-9+.-]*:)?\/\/[^/?#]*@/, (_match, scheme: string | undefined) => `${scheme ?? ''}//`);
  const hash = text.indexOf('#');
  const beforeHash = hash < 0 ? text : text.slice(0, hash);
  const fragment = hash < 0 ? '' : `#${redactParams(text.slice(hash + 1))}`;
  const query = beforeHash.indexOf('?');
  if (query < 0) return beforeHash + fragment;
  return `${beforeHash.slice(0, query)}?${redactParams(beforeHash.slice(query + 1))}${fragment}`;
}

/**
 * Replaces each given secret (also in its URL-encoded form: everywhere when it has at least 8
 * characters, as a whole word when shorter, so that a 3-character key does not eat every
 * `401`) and the credential in `Bearer …`, `Basic …`, `Token …`, `Api-Key …` (8 characters or
 * more), `api_key=…`, `"password": "…"`-style text with `[redacted]`. Overlapping matches become
 * one `[redacted]`. A secret is gone from the output unless it contains `[`, `]` or is a piece
 * of the word `redacted` itself.
 *
 * @param secrets - the credential values to remove, e.g. from {@link secretsOf}
 * @example
 * ```ts
 * redactText('bad key sk_live_12345678', ['sk_live_12345678']); // 'bad key [redacted]'
 * ```
 */
export function redactText(text: string, secrets: readonly string[]): string {
  const covered = new Uint8Array(text.length);
  for (const secret of candidates(secrets)) {
    const anywhere = secret.length >= MIN_SECRET_LENGTH;
    for (let at = text.indexOf(secret); at >= 0; at = text.indexOf(secret, at + 1)) {
      if (anywhere || isWholeWord(text, secret, at)) covered.fill(1, at, at + secret.length);
    }
  }
  for (const pattern of [SCHEME_TOKEN, QUERY_VALUE, JSON_VALUE]) {
    for (const match of text.matchAll(pattern)) {
      const span = match.indices?.[1];
      if (span === undefined || (pattern === SCHEME_TOKEN && !looksLikeCredential(match[1] ?? ''))) continue;
      covered.fill(1, span[0], span[1]);
    }
  }
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    if (covered[i] === 0) out += text.charAt(i);
    else if (i === 0 || covered[i - 1] === 0) out += REDACTED;
  }
  return out;
}

/**
 * The credential values a request's headers carry, for {@link redactText}: each secret
 * header's full value, the part after its scheme (`Bearer <token>` → `<token>`), the decoded
 * `user:password` of Basic credentials and its password, and each cookie's value.
 *
 * @example
 * ```ts
 * secretsOf(new Headers({ authorization: 'Bearer abc123456' })); // ['Bearer abc123456', 'abc123456']
 * ```
 */
export function secretsOf(headers: Headers): string[] {
  const secrets = new Set<string>();
  const add = (value: string | undefined): void => {
    const trimmed = value?.trim() ?? '';
    if (trimmed !== '') secrets.add(trimmed);
  };
  headers.forEach((value, name) => {
    if (!isSecretHeaderName(name)) return;
    add(value);
    const scheme = /^([A-Za-z][\w-]*)\s+(\S.*)$/.exec(value.trim());
    add(scheme?.[2]);
    if (scheme?.[1]?.toLowerCase() === 'basic') {
      const decoded = decodeBase64(scheme[2] ?? '');
      add(decoded);
      add(decoded?.slice(decoded.indexOf(':') + 1));
    }
    if (name === 'cookie') for (const cookie of value.split(';')) add(cookie.slice(cookie.indexOf('=') + 1));
  });
  return [...secrets];
}

function candidates(secrets: readonly string[]): string[] {
  const out = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length === 0) continue;
    out.add(secret);
    try {
      out.add(encodeURIComponent(secret));
    } catch {
      // A lone surrogate has no URL encoding; the raw secret is still covered.
    }
  }
  return [...out];
}

const wordChar = /[A-Za-z0-9]/;

function isWholeWord(text: string, secret: string, at: number): boolean {
  const before = at === 0 || !wordChar.test(text.charAt(at - 1)) || !wordChar.test(secret.charAt(0));
  const end = at + secret.length;
  const after = end === text.length || !wordChar.test(text.charAt(end)) || !wordChar.test(secret.charAt(secret.length - 1));
  return before && after;
}

function looksLikeCredential(value: string): boolean {
  return value.length >= MIN_SECRET_LENGTH && (/[\d_~+/=]/.test(value) || value.length >= 20);
}

function redactParams(params: string): string {
  return params
    .split(/([&;])/)
    .map((pair) => {
      const equals = pair.indexOf('=');
      if (equals < 0) return pair;
      return isSecretParamName(safeDecode(pair.slice(0, equals))) ? `${pair.slice(0, equals)}=${REDACTED}` : pair;
    })
    .join('');
}

/**
 * Whether a query (or form) parameter name carries a credential, compared lower-case without
 * `-`, `_` and spaces: `key`, `sig`, `pw`, `pwd`, `pass`, `passwd`, `passphrase`, `auth`,
 * `authorization`, `jwt`, `appid`, `sessionid`, `credential(s)`, `X-Amz-Credential`; any name
 * containing `token`, `secret`, `password`, `signature` or `apikey`; and any other name ending
 * in `key` (`hapikey`, `app_key`, `subscription-key`) but `idempotency_key`, `public_key`,
 * `publishable_key`, `sort_key`, `partition_key`, `primary_key` and `cache_key`.
 *
 * @example
 * ```ts
 * isSecretParamName('subscription-key'); // true
 * isSecretParamName('page'); // false
 * ```
 */
export function isSecretParamName(name: string): boolean {
  const normalized = name.toLowerCase().replace(/[-_\s]/g, '');
  if (SECRET_PARAMS.has(normalized) || SECRET_PARAM_PARTS.some((part) => normalized.includes(part))) return true;
  return normalized.endsWith('key') && !PUBLIC_KEY_PARAMS.has(normalized);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

function decodeBase64(value: string): string | undefined {
  try {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined;
    return new TextDecoder().decode(Uint8Array.from(atob(value), (char) => char.charCodeAt(0)));
  } catch {
    return undefined;
  }
}
