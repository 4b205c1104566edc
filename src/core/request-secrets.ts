import { multipartTextFields } from './multipart-fields.js';
import type { SurefetchEvent } from './events.js';
import { isSecretParamName, redactText, redactUrl, secretsOf } from './redact.js';
import type { RequestSpec } from './types.js';
import { decodeFormOrKeep } from './url-decode.js';
import { MIN_SECRET_LENGTH } from './secret-forms.js';

// A body larger than this is not parsed for secrets (it is rarely a credential exchange).
const maxParsedBodyBytes = 64 * 1024;
// Body fields are many and varied (`key` may be a SKU), so only unmistakable names count there:
// these anywhere in a name (`card_cvc`, `security_code`), ...
const BODY_SECRET_PARTS = [
  'token', 'secret', 'password', 'passwd', 'pwd', 'passphrase', 'passcode', 'signature', 'apikey', 'credential', 'privatekey',
  'accesskey', 'jwt', 'totp', 'cvc', 'cvv', 'securitycode',
];
// ... and these as the whole name only: within others they are common words (`shipping`, `author`, `footprint`).
const BODY_SECRET_NAMES = new Set([
  'pw', 'pass', 'pin', 'cardpin', 'otp', 'otpcode', 'mfa', 'mfacode', 'verificationcode', 'auth', 'authorization', 'sessionid',
]);
// Event fields that are vocabulary, never a value taken from the request.
const EVENT_WORDS = new Set(['type', 'verdict', 'sent', 'method', 'state']);

/**
 * Every credential value a request carries, for {@link redactText}: the values of its secret
 * headers (see `secretsOf`), of its query and fragment parameters named like credentials (see
 * `isSecretParamName`), the user and password of a `user:password@` URL, and of the fields of a
 * form or JSON body (up to 64 KiB; a body that starts like JSON counts whatever its content type)
 * or of a multipart form's text fields (a buffered upload of any size: up to `maxReplayBytes`,
 * 10 MiB by default; a larger one is streamed, unread) whose names contain `token`, `secret`, `password`,
 * `passwd`, `pwd`, `passphrase`, `passcode`, `signature`, `apikey`, `credential`, `privatekey`,
 * `accesskey`, `jwt`, `totp`, `cvc`, `cvv` or `securitycode`, or are `pw`, `pass`, `pin`,
 * `cardpin`, `otp`, `otpcode`, `mfa`, `mfacode`, `verificationcode`, `auth`, `authorization` or
 * `sessionid` (compared lower-case without `-`, `_` and spaces), as strings or numbers. A server
 * that echoes one of them back without its name is then still redacted.
 *
 * @example
 * ```ts
 * requestSecrets({ url: 'https://api.test/x?key=AIza123', headers: new Headers(), body: null }); // ['AIza123']
 * ```
 */
export function requestSecrets(request: Pick<RequestSpec, 'url' | 'headers' | 'body'>): string[] {
  const secrets = new Set([...secretsOf(request.headers), ...urlSecrets(request.url), ...bodySecrets(request)]);
  secrets.delete('');
  return [...secrets];
}

/** What {@link requestSecrets} reads of a request. @internal */
export type SecretSource = Pick<RequestSpec, 'url' | 'headers' | 'body'>;

// For each answer outside 2xx that client mode handed to a client, the request it answered,
// kept for the client's error (see `answeredRequestSecrets`), which finds its secrets on demand.
const requestByAnswer = new WeakMap<Response, SecretSource & { readonly formSecrets?: readonly string[] }>();

/**
 * Notes that `answer` (a refused answer client mode hands to a client, see `forClient`) answered
 * `request`, the request surefetch built and sent: a client's own view of it can miss what fetch
 * added (a form's content type) or what it never read (the body of a `Request`). The request is
 * kept, not its secrets, so nothing is computed unless a client's error asks; a body past what
 * `requestSecrets` would parse is not kept, but a large form's field secrets are read at once. @internal
 *
 * @example
 * ```ts
 * noteAnsweredRequest(answer, ctx.request);
 * ```
 */
export function noteAnsweredRequest(answer: Response, request: SecretSource): void {
  const body = request.body instanceof Uint8Array && request.body.byteLength <= maxParsedBodyBytes ? request.body : null;
  if (body === request.body) return void requestByAnswer.set(answer, request);
  // A large form (an upload) is not kept: its fields' secrets are, read now in one scan.
  const formSecrets = request.body instanceof Uint8Array ? bodySecrets(request) : [];
  requestByAnswer.set(answer, { url: request.url, headers: request.headers, body, formSecrets });
}

/**
 * The credentials (see {@link requestSecrets}) of the request `answer` answered, when client
 * mode noted it (see `noteAnsweredRequest`); none for any other value. Never throws. @internal
 *
 * @example
 * ```ts
 * const secrets = [...clientSecrets, ...answeredRequestSecrets(error.response)];
 * ```
 */
export function answeredRequestSecrets(answer: unknown): string[] {
  const request = answer instanceof Response ? requestByAnswer.get(answer) : undefined;
  if (request === undefined) return [];
  try {
    return [...requestSecrets(request), ...(request.formSecrets ?? [])];
  } catch {
    return [];
  }
}

/**
 * A URL fit for errors and events: {@link redactUrl}, then every value of `secrets` removed too
 * (a key in the path, such as `/bot<token>/`).
 *
 * @example
 * ```ts
 * redactUrlWith('https://api.test/bot123456789:AA/send', ['123456789:AA']); // 'https://api.test/bot[redacted]/send'
 * ```
 */
export function redactUrlWith(url: string, secrets: readonly string[]): string {
  return redactText(redactUrl(url), composedTextSecrets(secrets));
}

/**
 * The secrets to take out of text surefetch writes itself (a message, an operation, a URL, an
 * event), as against text a server sent (a body, its message and details, its headers), which
 * is cleaned of every secret as the error is built. Left out: short numbers (a card code, a PIN,
 * a one-time code, under 8 digits), which as whole words would also take the status, a year or
 * an id of the library's own text, and so show which of them the secret was. @internal
 *
 * @example
 * ```ts
 * composedTextSecrets(['737', 'sk_live_123']); // ['sk_live_123']
 * ```
 */
export function composedTextSecrets(secrets: readonly string[]): readonly string[] {
  return secrets.some(isShortNumber) ? secrets.filter((secret) => !isShortNumber(secret)) : secrets;
}

function isShortNumber(secret: string): boolean {
  return secret.length < MIN_SECRET_LENGTH && /^\d+$/.test(secret);
}

/**
 * A copy of an event with every value of `secrets` removed from its text fields (a message
 * quoting a server that echoed a key, a reason, the URL). `seen`, kept for the events of one
 * call (one list of secrets), spares redacting the same text twice.
 *
 * @example
 * ```ts
 * const safe = redactEvent(event, requestSecrets(ctx.request));
 * ```
 */
export function redactEvent<E extends SurefetchEvent>(event: E, secrets: readonly string[], seen?: Map<string, string>): E {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(event)) {
    const value: unknown = (event as unknown as Record<string, unknown>)[name];
    out[name] = typeof value === 'string' && !EVENT_WORDS.has(name) ? redactedText(value, secrets, seen) : value;
  }
  return out as E;
}

// The events of one call repeat most of their text (its operation, id, URL): `seen` keeps what
// each came to, for that call's secrets.
function redactedText(text: string, secrets: readonly string[], seen: Map<string, string> | undefined): string {
  if (seen === undefined) return redactText(text, secrets);
  let clean = seen.get(text);
  if (clean === undefined) seen.set(text, (clean = redactText(text, secrets)));
  return clean;
}

function urlSecrets(url: string): string[] {
  const found: string[] = [];
  const userinfo = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)@/.exec(url)?.[1];
  if (userinfo !== undefined) for (const part of userinfo.split(':')) found.push(part, decodeFormOrKeep(part));
  const hash = url.indexOf('#');
  const beforeHash = hash < 0 ? url : url.slice(0, hash);
  const query = beforeHash.indexOf('?');
  const parts = [query < 0 ? '' : beforeHash.slice(query + 1), hash < 0 ? '' : url.slice(hash + 1)];
  for (const pair of parts.join('&').split(/[&;]/)) {
    const equals = pair.indexOf('=');
    if (equals <= 0 || !isSecretParamName(decodeFormOrKeep(pair.slice(0, equals)))) continue;
    const raw = pair.slice(equals + 1);
    found.push(raw, decodeFormOrKeep(raw));
  }
  return found;
}

function bodySecrets(request: Pick<RequestSpec, 'headers' | 'body'>): string[] {
  if (!(request.body instanceof Uint8Array)) return [];
  const type = request.headers.get('content-type') ?? '';
  // A form's text fields, whatever its files weigh (upload APIs take `api_key`, `signature` there).
  if (/^\s*multipart\/form-data/i.test(type)) return multipartTextFields(request.body, type, isBodySecretName).map(([, value]) => value);
  if (request.body.byteLength > maxParsedBodyBytes) return [];
  const text = new TextDecoder().decode(request.body);
  if (/^application\/x-www-form-urlencoded/i.test(type)) {
    return [...new URLSearchParams(text)].filter(([name]) => isBodySecretName(name)).map(([, value]) => value);
  }
  // A JSON string sent with no content type goes as text/plain, and many APIs read it as JSON anyway (and echo it).
  if (!/json/i.test(type) && !/^\s*[[{]/.test(text)) return [];
  const found: string[] = [];
  try {
    collect(JSON.parse(text) as unknown, found, 0);
  } catch {
    // Not JSON after all: nothing to learn from it.
  }
  return found;
}

function collect(value: unknown, found: string[], depth: number): void {
  if (depth > 8 || value === null || typeof value !== 'object' || found.length > 100) return;
  for (const [name, entry] of Object.entries(value)) {
    // A PIN, a card code or a one-time code is often sent as a JSON number.
    const scalar = typeof entry === 'string' || (typeof entry === 'number' && Number.isFinite(entry));
    if (scalar && isBodySecretName(name)) found.push(String(entry));
    else collect(entry, found, depth + 1);
  }
}

function isBodySecretName(name: string): boolean {
  const normalized = name.toLowerCase().replace(/[-_\s]/g, '');
  return BODY_SECRET_NAMES.has(normalized) || BODY_SECRET_PARTS.some((part) => normalized.includes(part));
}
