/**
 * Route tables for the emulated APIs: a route is a method, a path pattern with `:name`
 * segments, and a handler that applies the request and returns its answer.
 */
import type { Reply } from './types.js';

/** What a route handler gets about its request and the server. */
export interface RouteContext {
  /** Path parameters by name (`:id` → `params.id`). */
  readonly params: Readonly<Record<string, string>>;
  /** The query string. */
  readonly query: URLSearchParams;
  /** Parsed JSON body, or `undefined` when empty. */
  readonly body: unknown;
  /** The server's base URL (no trailing slash), for absolute links. */
  readonly baseUrl: string;
  /** The request path (no query). */
  readonly path: string;
  /** The emulator clock, read at the moment of the call (late commits read it late). */
  now(): number;
  /** Stores `record` in `collection`, timestamps it for list lag and counts a create. */
  commit<T extends object>(collection: T[], record: T): T;
  /** The records of `collection` already visible to list endpoints. */
  visible<T extends object>(collection: readonly T[]): T[];
}

/** One endpoint. */
export interface Route {
  /** Upper-case method. */
  readonly method: string;
  /** Path pattern, e.g. `/v1/orders/:id` or `/api/v1/orders/:order_number/`. */
  readonly pattern: string;
  /** The scope a key needs (warehouse only). */
  readonly scope?: string;
  /** Applies the request (synchronously) and returns the answer. */
  readonly handle: (context: RouteContext) => Reply;
}

/** A route that matched a request, with its path parameters. */
export interface RouteMatch {
  readonly route: Route;
  readonly params: Record<string, string>;
}

/**
 * Finds the first route matching `method` and `path`; patterns must match segment by segment,
 * so a missing trailing slash does not match a pattern that has one.
 *
 * @example
 * ```ts
 * matchRoute(routes, 'GET', '/v1/orders/ord_1')?.params; // { id: 'ord_1' }
 * ```
 */
export function matchRoute(routes: readonly Route[], method: string, path: string): RouteMatch | undefined {
  const segments = path.split('/');
  for (const route of routes) {
    if (route.method !== method) continue;
    const params = matchPattern(route.pattern.split('/'), segments);
    if (params) return { route, params };
  }
  return undefined;
}

/** The fault-scripting key of a route: `'POST /v1/orders/create'`. */
export function routeKeyOf(route: Route): string {
  return `${route.method} ${route.pattern}`;
}

function matchPattern(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i += 1) {
    const expected = pattern[i] ?? '';
    const actual = segments[i] ?? '';
    if (expected.startsWith(':')) {
      if (actual === '') return undefined;
      params[expected.slice(1)] = safeDecode(actual);
    } else if (expected !== actual) {
      return undefined;
    }
  }
  return params;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
