/**
 * Which API a request goes to: its host and the credential it carries, hashed. retry,
 * circuitBreaker and rateLimit key their state by it, so two keys on one host are two APIs.
 */
import { sha256Hex } from '../core/bytes.js';
import { memoized } from '../core/memo.js';
import type { RequestSpec } from '../core/types.js';
import { BuiltRequestSpec, urlOf } from '../pipeline/request-spec.js';

const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'api-key', 'apikey', 'x-auth-token', 'private-token', 'x-access-token', 'proxy-authorization'];
const CREDENTIAL_RANK = new Map(CREDENTIAL_HEADERS.map((name, index) => [name, index]));
const CREDENTIAL_PARAMS = ['api_key', 'apikey', 'api-key', 'key', 'access_token', 'token'];

/**
 * The credential a request carries: its `Authorization` header, else a common API-key header
 * (`X-API-Key`, `Api-Key`, `X-Auth-Token`, `Private-Token`, ...), else an API-key query
 * parameter (`api_key`, `key`, `access_token`, ...), else URL user info.
 *
 * @example
 * ```ts
 * credentialOf(request); // 'Bearer sk_live_…' — hash it before using it as a name
 * ```
 */
export function credentialOf(request: RequestSpec): string | undefined {
  // One pass over the headers the request has (few, often none) costs less than looking up
  // each credential header by name; the first in CREDENTIAL_HEADERS' order wins.
  let rank = CREDENTIAL_HEADERS.length;
  let found: string | undefined;
  for (const [name, value] of request.headers) {
    const at = CREDENTIAL_RANK.get(name);
    if (at !== undefined && at < rank && value !== '') {
      rank = at;
      found = value;
    }
  }
  if (found !== undefined) return found;
  const url = urlOf(request);
  if (url.search !== '') {
    for (const name of CREDENTIAL_PARAMS) {
      const value = url.searchParams.get(name);
      if (value !== null && value !== '') return value;
    }
  }
  return url.username === '' ? undefined : `${url.username}:${url.password}`;
}

/**
 * Names the API of a request: its host (with port) and the first 16 hex digits of the SHA-256
 * of its credential, so that two keys on one host get two budgets and no key ever appears in a
 * name, a log or Redis.
 *
 * @example
 * ```ts
 * apiKeyOf(request); // 'api.example.com:9f86d081884c7d65'
 * ```
 */
export function apiKeyOf(request: RequestSpec, credential: (request: RequestSpec) => string | undefined = credentialOf): string {
  if (credential !== credentialOf) return nameApi(request, credential);
  if (request instanceof BuiltRequestSpec) return request.apiKey(nameApi, credential);
  let key = apiKeys.get(request);
  if (key === undefined) apiKeys.set(request, (key = nameApi(request, credential)));
  return key;
}

function nameApi(request: RequestSpec, credential: (request: RequestSpec) => string | undefined): string {
  const secret = credential(request);
  const host = urlOf(request).host;
  const last = lastName;
  if (last !== undefined && last.host === host && last.secret === secret) return last.name;
  const name = `${host}:${secret === undefined ? 'anonymous' : credentialHash(secret)}`;
  lastName = { host, secret, name };
  return name;
}

// The last name made and what it was made of. Most calls of a process go to the API of the call
// before: they get that very string back, instead of a new one that every layer's lookup by API
// (limiter, breaker, retry budget) would hash again. Holds one credential, as the hashes do.
let lastName: { readonly host: string; readonly secret: string | undefined; readonly name: string } | undefined;

// The hash of each credential, computed once: SHA-256 in JavaScript costs several microseconds,
// which every call carrying a credential paid. The credentials are this process's own (the
// requests hold them anyway); the map is emptied when full.
const credentialHashes = new Map<string, string>();
const MAX_CREDENTIALS = 256;

function credentialHash(secret: string): string {
  return memoized(credentialHashes, secret, MAX_CREDENTIALS, hashOfCredential, undefined);
}

function hashOfCredential(secret: string): string {
  return sha256Hex(secret).slice(0, 16);
}

// The API of each request, named once: retry, circuitBreaker and rateLimit all ask for it on
// every attempt, and a request (its URL and headers) does not change once built. A spec built
// by createFetch keeps it itself; this map serves specs built elsewhere.
const apiKeys = new WeakMap<RequestSpec, string>();
