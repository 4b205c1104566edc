/**
 * What OpenTelemetry's HTTP semantic conventions make of a request and of how it ended: the
 * method as a known one or `_OTHER`, the server's address and port, the span name, `error.type`.
 * Pure functions, free of `@opentelemetry/api`.
 */
import { SurefetchError } from '../errors/errors.js';
import { HttpError } from '../verdict/http-error.js';
import type { RouteRule } from '../core/types.js';

// RFC 9110's methods and PATCH: the conventions' "known" ones. Any other is `_OTHER`, so that a
// method made up per request cannot grow a metric's series without bound.
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);
const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };

/** The attributes of a request the conventions want when its span starts (for a sampler). @internal */
export interface RequestConventions {
  /** `{method}` or `{method} {url.template}`, `HTTP` standing for an unknown method. */
  readonly spanName: string;
  /**
   * `http.request.method`, `server.address`, `server.port` and `url.template` when known: the
   * span's start attributes, and the request metric's too, all of bounded cardinality.
   */
  readonly attributes: Readonly<Record<string, string | number>>;
  /** `http.request.method_original`, for the span alone: set when the method is not a known one. */
  readonly methodOriginal: string | undefined;
}

/**
 * The span name and start attributes of a call to `url` with `method`. A route rule's path is
 * the call's `url.template`: a pattern the application wrote, never the path it matched (which
 * may hold an id or a token, and has no bound on its values). @internal
 *
 * @example
 * ```ts
 * requestConventions('GET', new URL('https://api.test/v1/orders/7'), { path: '/v1/orders/:id' }).spanName; // 'GET /v1/orders/:id'
 * ```
 */
export function requestConventions(method: string, url: URL, route: RouteRule | undefined): RequestConventions {
  const known = KNOWN_METHODS.has(method);
  const attributes: Record<string, string | number> = serverOf(url);
  attributes['http.request.method'] = known ? method : '_OTHER';
  if (route !== undefined) attributes['url.template'] = route.path;
  const name = known ? method : 'HTTP';
  return { spanName: route === undefined ? name : `${name} ${route.path}`, attributes, methodOriginal: known ? undefined : method };
}

/**
 * `server.address` and `server.port` of a URL: its host name (an IPv6 address without its
 * brackets) and its port, the scheme's default when it names none. @internal
 *
 * @example
 * ```ts
 * serverOf(new URL('https://api.test/x')); // { 'server.address': 'api.test', 'server.port': 443 }
 * ```
 */
export function serverOf(url: URL): Record<string, string | number> {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === '' ? DEFAULT_PORTS[url.protocol] : Number(url.port);
  return port === undefined ? { 'server.address': host } : { 'server.address': host, 'server.port': port };
}

/** `http.request.method` of a method: itself when the conventions know it, else `_OTHER`. @internal */
export function conventionalMethod(method: string): string {
  return KNOWN_METHODS.has(method) ? method : '_OTHER';
}

/**
 * `error.type` of a call or attempt that ended in `error`: the status (`'503'`) for an `HttpError`
 * (not the server's own code, whose values the API chooses), a surefetch error's
 * code, another error's name, `_OTHER` for a thrown value that is no error. @internal
 *
 * @example
 * ```ts
 * errorTypeOf(new AmbiguousOutcomeError(init)); // 'AMBIGUOUS_OUTCOME'
 * ```
 */
export function errorTypeOf(error: unknown): string {
  if (error instanceof HttpError) return statusErrorType(error.status);
  if (error instanceof SurefetchError) return error.code;
  return error instanceof Error ? error.name : '_OTHER';
}

/**
 * `error.type` of an answer with `status`: the status code as a string (`'503'`), as the
 * conventions ask, so that a dashboard over `http.client.request.duration` groups surefetch's
 * points with undici's instrumentation's. @internal
 */
export function statusErrorType(status: number): string {
  return String(status);
}
