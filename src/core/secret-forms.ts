/** The forms a credential takes inside one header value, so that its bare value can be redacted too. */
import { decodeOrKeep } from './url-decode.js';

// Given secrets this long are removed wherever they appear; shorter ones only as a whole word.
export const MIN_SECRET_LENGTH = 8;
// Auth-param names (lower-case, `-` and `_` removed) whose value is a credential whatever it looks like.
const SECRET_PARAM_PARTS = ['key', 'token', 'secret', 'signature', 'password', 'credential'];
const SECRET_PARAMS = new Set(['sig', 'pass', 'pwd', 'auth', 'response']);
// Auth-params that describe the credential rather than carry it; their values (a realm, a path,
// a list of signed headers, a counter) are ordinary text that redaction would otherwise eat.
const PUBLIC_PARAMS = new Set([
  'realm', 'algorithm', 'qop', 'nc', 'uri', 'domain', 'stale', 'charset', 'signedheaders', 'username', 'userhash', 'version',
  // OAuth 1.0a: how the request is signed, not the signature (`HMAC-SHA1` is no secret).
  'oauthsignaturemethod', 'oauthversion', 'oauthtimestamp', 'oauthnonce',
]);
// RFC 9110 auth-param: a token name, `=`, and a token or a quoted-string (with `\` escapes).
const AUTH_PARAM = /([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*)/g;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const SCHEME = /^([A-Za-z][\w-]*)\s+(\S.*)$/s;

/**
 * Whether a value, found without a name that says so, looks like a credential rather than a
 * word: at least 8 characters with a digit or one of `_~+/=`, or at least 20 characters.
 *
 * @example
 * ```ts
 * looksLikeCredential('sk_live_12345678'); // true
 * looksLikeCredential('required'); // false
 * ```
 */
export function looksLikeCredential(value: string): boolean {
  return value.length >= MIN_SECRET_LENGTH && (/[\d_~+/=]/.test(value) || value.length >= 20);
}

/**
 * The credential values one secret header carries, for redaction: the full value, the part
 * after a scheme (`Bearer <token>` → `<token>`), the decoded `user:password` of Basic
 * credentials with its password and (when it is the key, as in Stripe's `-u key:`, with no
 * password) its user, the unquoted values of auth-params (`key=…`, `Token
 * token="…"`, SigV4 `Signature=…` and the access key id of `Credential=…`, Digest
 * `response="…"`) but the public ones (`realm`, `uri`, `SignedHeaders`, …), and for a `cookie`
 * each cookie's value, unquoted and URL-decoded too. May contain duplicates and empty strings.
 *
 * @example
 * ```ts
 * credentialsInHeader('authorization', 'Token token="abc123456"'); // […, 'abc123456']
 * ```
 */
export function credentialsInHeader(name: string, value: string): string[] {
  const trimmed = value.trim();
  const found = [trimmed];
  const scheme = SCHEME.exec(trimmed);
  const rest = scheme?.[2] ?? trimmed;
  if (scheme !== null) found.push(rest);
  if (scheme?.[1]?.toLowerCase() === 'basic') found.push(...basicCredentials(rest));
  if (name === 'cookie') found.push(...cookieValues(trimmed));
  else if (!TOKEN68.test(rest)) found.push(...authParamCredentials(rest));
  return found.map((entry) => entry.trim());
}

function basicCredentials(token: string): string[] {
  const decoded = decodeBase64(token);
  if (decoded === undefined) return [];
  const colon = decoded.indexOf(':');
  if (colon < 0) return [decoded];
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  // With a password, the user is a login name (`api`, `customer`, an email): removing it would
  // cut words out of every message and path. Without one (`-u key:`), it is the key.
  const userIsSecret = password === '';
  return [decoded, password, ...(userIsSecret ? [user] : [])];
}

function authParamCredentials(params: string): string[] {
  const found: string[] = [];
  for (const match of params.matchAll(AUTH_PARAM)) {
    const name = (match[1] ?? '').toLowerCase().replace(/[-_]/g, '');
    const raw = match[2] ?? '';
    const value = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    if (PUBLIC_PARAMS.has(name)) continue;
    const named = SECRET_PARAMS.has(name) || SECRET_PARAM_PARTS.some((part) => name.includes(part));
    if (!named && !looksLikeCredential(value)) continue;
    found.push(value);
    // SigV4 `Credential=<access key id>/<date>/<region>/<service>/aws4_request`: the id is echoed alone.
    if (name === 'credential' && value.includes('/')) found.push(value.slice(0, value.indexOf('/')));
  }
  return found;
}

function cookieValues(header: string): string[] {
  const found: string[] = [];
  for (const cookie of header.split(';')) {
    const value = cookie.slice(cookie.indexOf('=') + 1).trim();
    const unquoted = value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
    found.push(value, unquoted, decodeOrKeep(unquoted));
  }
  return found;
}


function decodeBase64(value: string): string | undefined {
  try {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined;
    return new TextDecoder().decode(Uint8Array.from(atob(value), (char) => char.charCodeAt(0)));
  } catch {
    return undefined;
  }
}
