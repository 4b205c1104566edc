import { credentialsInHeader, looksLikeCredential } from './secret-forms.js';
import { markSecrets, markTrailingFragment } from './secret-spans.js';
import { decodeFormOrKeep } from './url-decode.js';

/** What every redacted value is replaced with. */
export const REDACTED = '[redacted]';

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key', 'x-auth-token']);
const SECRET_HEADER_PARTS = ['secret', 'token', 'key', 'password', 'passwd', 'credential', 'signature', 'session', 'cookie'];
// An idempotency key identifies a request; it grants nothing and is needed to debug replays.
const PUBLIC_HEADERS = new Set(['idempotency-key', 'x-idempotency-key']);
// Query names are compared lower-case with `-`, `_` and spaces removed: `api_key`, `API-Key` → `apikey`.
const SECRET_PARAMS = new Set([
  'key', 'sig', 'pw', 'pwd', 'pass', 'passwd', 'passphrase', 'passcode', 'auth', 'authorization', 'jwt', 'appid', 'sessionid',
  'credential', 'credentials', 'xamzcredential', 'otp', 'totp', 'cvc', 'cvv',
]);
const SECRET_PARAM_PARTS = ['token', 'secret', 'password', 'signature', 'apikey'];
// Any other name ending in `key` is taken for a credential (`hapikey`, `app_key`, `subscription-key`), but these.
const PUBLIC_KEY_PARAMS = new Set([
  'idempotencykey', 'publickey', 'publishablekey', 'sortkey', 'partitionkey', 'primarykey', 'cachekey',
]);
const NAMES = 'api[_-]?key|access[_-]?token|refresh[_-]?token|id[_-]?token|auth[_-]?token|client[_-]?secret|secret|password|passwd|signature';
const SCHEME_TOKEN = /\b(?:Bearer|Basic|Digest|Token|Api-?Key)\s+([A-Za-z0-9\-._~+/]*[A-Za-z0-9\-_~+/]=*)/dgi;
// The run before `key` is bounded: unbounded, every word boundary of a long `a-a-a-…` body
// rescanned the rest of it (seconds for 64 KiB).
const QUERY_VALUE = new RegExp(`\\b(?:${NAMES}|[\\w-]{0,64}key|token|sig|jwt|pwd?|passphrase|appid|authorization)=([^\\s&;#"',<>]+)`, 'dgi');
const JSON_VALUE = new RegExp(`"(?:${NAMES}|token)"\\s*:\\s*"([^"]+)"`, 'dgi');
const PATTERNS = [SCHEME_TOKEN, QUERY_VALUE, JSON_VALUE];
const JSON_SECRET_NAME = new RegExp(`^(?:${NAMES}|token)$`, 'i');

/**
 * Whether a JSON member of this name holds a credential whatever its value, as the text pattern
 * reads `"password": "…"`: the same names, for data already parsed (ofetch's `error.data`).
 * @internal
 */
export function isJsonSecretName(name: string): boolean {
  return JSON_SECRET_NAME.test(name);
}

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
 * Replaces each given secret (also URL-encoded, and behind JSON `\/` or `\u002b`, HTML `&#43;`,
 * `&#x2F;` or `&amp;`, and lower-case `%2f` escapes: everywhere when it has at least 8
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
  markSecrets(text, secrets, covered);
  return redactMarked(text, covered);
}

/**
 * {@link redactText} for a text that was cut short (an error body at its size cap, or one that
 * stalled or broke off): also removes its end when that is the start, 4 characters or more, of
 * a secret whose rest was past the cut.
 *
 * @param secrets - the credential values to remove, e.g. from {@link secretsOf}
 * @example
 * ```ts
 * redactTruncatedText('bad key sk_live_1234', ['sk_live_12345678']); // 'bad key [redacted]'
 * ```
 */
export function redactTruncatedText(text: string, secrets: readonly string[]): string {
  const covered = new Uint8Array(text.length);
  markSecrets(text, secrets, covered);
  markTrailingFragment(text, secrets, covered);
  return redactMarked(text, covered);
}

function redactMarked(text: string, covered: Uint8Array): string {
  for (const pattern of PATTERNS) {
    // A pattern that cannot match (no `=`, no `"`) costs no scan: most event fields have neither.
    if ((pattern === QUERY_VALUE && !text.includes('=')) || (pattern === JSON_VALUE && !text.includes('"'))) continue;
    for (const match of text.matchAll(pattern)) {
      const span = match.indices?.[1];
      if (span === undefined || (pattern === SCHEME_TOKEN && !looksLikeCredential(match[1] ?? ''))) continue;
      covered.fill(1, span[0], span[1]);
    }
  }
  // Runs are copied as slices: a character at a time, a 1 MiB text took 150 ms.
  const parts: string[] = [];
  let from = covered.indexOf(1);
  if (from < 0) return text;
  parts.push(text.slice(0, from));
  while (from >= 0) {
    const end = covered.indexOf(0, from);
    parts.push(REDACTED);
    if (end < 0) break;
    from = covered.indexOf(1, end);
    parts.push(text.slice(end, from < 0 ? text.length : from));
  }
  return parts.join('');
}

/**
 * The credential values a request's headers carry, for {@link redactText}: each secret
 * header's full value, the part after its scheme (`Bearer <token>` → `<token>`), the decoded
 * `user:password` of Basic credentials, its password and its user when that is the key
 * (`-u key:`, no password), the values of auth-params such as `key=…`,
 * `Token token="…"`, SigV4 `Signature=…` or Digest `response="…"` (not the public `realm`,
 * `uri`, `SignedHeaders`, …), and each cookie's value, unquoted.
 *
 * @example
 * ```ts
 * secretsOf(new Headers({ authorization: 'Bearer abc123456' })); // ['Bearer abc123456', 'abc123456']
 * ```
 */
export function secretsOf(headers: Headers): string[] {
  const secrets = new Set<string>();
  headers.forEach((value, name) => {
    if (!isSecretHeaderName(name)) return;
    for (const secret of credentialsInHeader(name, value)) if (secret !== '') secrets.add(secret);
  });
  return [...secrets];
}

function redactParams(params: string): string {
  return params
    .split(/([&;])/)
    .map((pair) => {
      const equals = pair.indexOf('=');
      if (equals < 0) return pair;
      return isSecretParamName(decodeFormOrKeep(pair.slice(0, equals))) ? `${pair.slice(0, equals)}=${REDACTED}` : pair;
    })
    .join('');
}

/**
 * Whether a query (or form) parameter name carries a credential, compared lower-case without
 * `-`, `_` and spaces: `key`, `sig`, `pw`, `pwd`, `pass`, `passwd`, `passphrase`, `passcode`, `auth`,
 * `authorization`, `jwt`, `appid`, `sessionid`, `credential(s)`, `X-Amz-Credential`, `otp`,
 * `totp`, `cvc`, `cvv`; any name
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
