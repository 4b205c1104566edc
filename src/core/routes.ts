import type { RouteRule } from './types.js';

/**
 * Finds the first rule that matches a request. Patterns are matched segment by segment against
 * the URL's pathname: a literal segment matches itself, `:name` matches any one segment, and a
 * trailing `*` matches the rest. A trailing slash is not significant.
 *
 * @example
 * ```ts
 * matchRoute([{ method: 'POST', path: '/v1/orders/cancel', idempotent: true }], 'POST', new URL('https://api.test/v1/orders/cancel'));
 * ```
 */
export function matchRoute(rules: readonly RouteRule[], method: string, url: URL): RouteRule | undefined {
  const upper = method.toUpperCase();
  for (const rule of rules) {
    const ruleMethod = (rule.method ?? '*').toUpperCase();
    if (ruleMethod !== '*' && ruleMethod !== upper) continue;
    if (rule.host !== undefined && rule.host.toLowerCase() !== url.host.toLowerCase()) continue;
    if (pathMatches(rule.path, url.pathname)) return rule;
  }
  return undefined;
}

function segments(path: string): string[] {
  return path.split('/').filter((segment) => segment.length > 0);
}

function pathMatches(pattern: string, pathname: string): boolean {
  const want = segments(pattern);
  const have = segments(pathname);
  for (let index = 0; index < want.length; index += 1) {
    const part = want[index];
    if (part === '*' && index === want.length - 1) return true;
    const actual = have[index];
    if (actual === undefined) return false;
    if (part?.startsWith(':')) continue;
    if (part !== actual) return false;
  }
  return want.length === have.length;
}

const idempotentMethods = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE', 'QUERY']);

/**
 * Whether a method is idempotent by definition (RFC 9110 §9.2.2): sending it twice has the
 * same effect as once. POST and PATCH are not.
 *
 * @example
 * ```ts
 * isIdempotentMethod('PUT'); // true
 * ```
 */
export function isIdempotentMethod(method: string): boolean {
  return idempotentMethods.has(method.toUpperCase());
}
