import { SurefetchError } from './errors.js';
import { REDACTED, isSecretHeaderName, redactText } from '../core/redact.js';
import { redactUrlWith, requestSecrets } from '../core/request-secrets.js';
import { decodeOrKeep } from '../core/url-decode.js';

/**
 * The arguments of a call do not make a valid request (a URL that does not parse, a header value
 * with a forbidden character, a URL with `user:password@` in it). Nothing was sent. Unlike the
 * `TypeError` fetch throws for these, its message never contains a credential the arguments
 * carried.
 *
 * @example
 * ```ts
 * if (error instanceof InvalidRequestError) console.error('fix the call:', error.message);
 * ```
 */
export class InvalidRequestError extends SurefetchError {
  /** Always `not-sent`. */
  readonly sent = 'not-sent' as const;

  /** @param message - what is wrong, with credentials already removed */
  constructor(message: string) {
    super('INVALID_REQUEST', message);
  }
}

/**
 * What to throw when `new Request(input, init)` threw: an {@link InvalidRequestError} saying
 * which part is wrong (the URL, credentials in it, a header by name) without any credential
 * value the arguments carried.
 *
 * @example
 * ```ts
 * try { new Request(input, init); } catch (error) { throw toInvalidRequestError(error, input, init); }
 * ```
 */
export function toInvalidRequestError(
  error: unknown,
  input: string | URL | Request,
  init: RequestInit | undefined,
): InvalidRequestError {
  const url = input instanceof Request ? input.url : String(input);
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  const entries = headerEntries(init?.headers);
  const secrets = [
    ...requestSecrets({ url, headers: new Headers(), body: null }),
    // The parser's reading of `user:password@`, whatever the spelling (`https:\\`, a tab, a leading space).
    ...userinfoOf(parsed),
    ...entries
      .filter(([name]) => isSecretHeaderName(name))
      .flatMap(([, value]) => [value, value.replace(/^\S+\s+/, '')]),
  ];
  if (parsed === undefined) return new InvalidRequestError(`the URL does not parse: ${redactUrlWith(withoutUserinfo(url), secrets)}`);
  if (parsed.username !== '' || parsed.password !== '') {
    const shown = new URL(parsed.href);
    shown.username = '';
    shown.password = '';
    return new InvalidRequestError(
      `the URL includes credentials (user:password@), which fetch refuses; send them in an Authorization header: ${redactUrlWith(shown.href, secrets)}`,
    );
  }
  for (const [name, value] of entries) {
    try {
      new Headers([[name, value]]);
    } catch {
      return new InvalidRequestError(`the header ${redactText(name, secrets)} has an invalid name or value`);
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return new InvalidRequestError(`invalid request: ${redactText(message, secrets)}`);
}

function userinfoOf(parsed: URL | undefined): string[] {
  if (parsed === undefined) return [];
  return [parsed.username, parsed.password].flatMap((part) => [part, decodeOrKeep(part)]).filter((part) => part !== '');
}

// A URL that does not parse has no authority to trust: a password may hold `#`, `/` or `?`
// unencoded. Everything before its last `@` may be a credential, so none of it is quoted.
function withoutUserinfo(url: string): string {
  const text = url.replace(/[\t\n\r]/g, '').trim();
  const at = text.lastIndexOf('@');
  if (at < 0) return text;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:[\\/]*/.exec(text)?.[0] ?? '';
  return `${scheme}${REDACTED}@${text.slice(at + 1)}`;
}


function headerEntries(headers: RequestInit['headers']): Array<[string, string]> {
  if (headers === undefined) return [];
  try {
    const list: Iterable<unknown> = headers instanceof Headers || Array.isArray(headers) ? headers : Object.entries(headers);
    return [...list].map((entry) => {
      const [name, value] = Array.isArray(entry) ? entry : [];
      return [String(name), String(value)];
    });
  } catch {
    return [];
  }
}
