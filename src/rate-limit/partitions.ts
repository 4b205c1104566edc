import { sha256Hex } from '../core/bytes.js';
import { matchRoute } from '../core/routes.js';
import { memoized } from '../core/memo.js';
import type { RequestSpec } from '../core/types.js';

/**
 * A route group with a rate limit of its own, in the spirit of @octokit/plugin-throttling's
 * groups (search apart from the rest): answers to its requests that name no partition teach
 * and hold this group only. Matched like a route rule.
 *
 * @example
 * ```ts
 * const search: RateLimitGroup = { name: 'search', path: '/search/*' };
 * ```
 */
export interface RateLimitGroup {
  /** The group's name (in events and Redis keys). */
  readonly name: string;
  /** Path pattern: literal segments, `:name` for one segment, a trailing `*` for the rest. */
  readonly path: string;
  /** HTTP method to match, or `*` for any. @default '*' */
  readonly method?: string;
  /** Host to match; any host when absent. */
  readonly host?: string;
}

/** Where one request stands in an API's budget. */
export interface RequestScopes {
  /** Its home scope: `''` (the whole API) or `g:<group>`. */
  readonly home: string;
  /** Its endpoint: a hash of the method, host and path with id-like segments generalized. */
  readonly endpoint: string;
  /** The partitions its endpoint was last answered with, as `p:<name>` keys; `undefined` when unknown. */
  readonly partitions: readonly string[] | undefined;
}

/** Remembers which partitions the server named for each endpoint (in this process). */
export interface PartitionMap {
  /** The scopes of `request`: its home, its endpoint, the partitions learned for the endpoint. */
  scopesOf(request: RequestSpec): RequestScopes;
  /** Records the partitions an answer named for an endpoint (nothing when it named none). */
  learn(endpoint: string, partitions: readonly string[]): void;
}

const MAX_ENDPOINTS = 2000;
const MAX_METHODS = 16;
const ID_SEGMENT = /^(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,}|[^/]*@[^/]*|[A-Za-z0-9_-]{24,})$/i;

/**
 * Names the endpoint of a request: method, host and path, with segments that look like ids
 * (numbers, UUIDs, long hex or tokens, e-mail addresses) generalized, hashed so that no path
 * appears in Redis.
 *
 * @example
 * ```ts
 * endpointOf(request); // same for GET /v1/orders/17 and GET /v1/orders/42
 * ```
 */
export function endpointOf(request: RequestSpec): string {
  // Most calls go to few URLs: each is named once, looked up by the URL as it is (no key built).
  const byUrl = memoized(endpoints, request.method, MAX_METHODS, newUrlMemo, undefined);
  return memoized(byUrl, request.url, MAX_ENDPOINTS, nameEndpointOf, request);
}

const newUrlMemo = (): Map<string, string> => new Map();
const nameEndpointOf = (_url: string, request: RequestSpec): string => nameEndpoint(request);

// Method → URL → endpoint name (methods are few; an odd one out empties the memo when full).
const endpoints = new Map<string, Map<string, string>>();

function nameEndpoint(request: RequestSpec): string {
  const url = new URL(request.url);
  const path = url.pathname
    .split('/')
    .map((segment) => (ID_SEGMENT.test(segment) ? ':id' : segment))
    .join('/');
  return sha256Hex(`${request.method} ${url.host}${path}`).slice(0, 16);
}

/**
 * Creates the map of one `rateLimit` middleware.
 *
 * @param groups - the route groups the user declared (first match wins)
 * @example
 * ```ts
 * const map = createPartitionMap([{ name: 'search', path: '/search/*' }]);
 * map.scopesOf(request); // { home: 'g:search', endpoint: '…', partitions: undefined }
 * ```
 */
export function createPartitionMap(groups: readonly RateLimitGroup[] = []): PartitionMap {
  const learned = new Map<string, readonly string[]>();
  return {
    scopesOf(request: RequestSpec): RequestScopes {
      const group = groups.length === 0 ? undefined : matchRoute(groups, request.method, new URL(request.url));
      const endpoint = endpointOf(request);
      return { home: group === undefined ? '' : `g:${(group as RateLimitGroup).name}`, endpoint, partitions: learned.get(endpoint) };
    },
    learn(endpoint: string, partitions: readonly string[]): void {
      if (partitions.length === 0) return;
      learned.delete(endpoint);
      learned.set(endpoint, [...new Set(partitions)].map((name) => `p:${name}`));
      // Least recently answered first: drop the oldest when full.
      if (learned.size > MAX_ENDPOINTS) learned.delete(learned.keys().next().value ?? '');
    },
  };
}
