/**
 * A server that answers redirects: each path in `rules` answers its status with its
 * `Location` (or, without one, a plain answer of that status); every other path answers 200 with a JSON echo of what it received (method, path,
 * body, headers), so a test can see what arrived after the redirect.
 */
import { startHostileServer, type HostileServer } from './server.js';

/** One scripted redirect. */
export interface RedirectRule {
  /** 301, 302, 303, 307 or 308 (any status without a `location`). */
  readonly status: number;
  /** The `Location` header, relative or absolute. */
  readonly location?: string;
}

/** What the echo path answers. */
export interface Echo {
  readonly method: string;
  readonly path: string;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

/**
 * Starts a redirecting server. A rule's path matches the request path without its query.
 *
 * @example
 * ```ts
 * const server = await startRedirectServer({ '/v1/orders/create': { status: 307, location: '/v1/orders/create/' } });
 * ```
 */
export function startRedirectServer(rules: Readonly<Record<string, RedirectRule>> = {}): Promise<HostileServer> {
  return startHostileServer((seen, response) => {
    const rule = rules[seen.path.split('?')[0] ?? ''];
    if (rule !== undefined) {
      const location = rule.location === undefined ? {} : { location: rule.location };
      response.writeHead(rule.status, { ...location, 'content-type': 'text/plain' });
      response.end(rule.location === undefined ? `status ${rule.status}` : `see ${rule.location}`);
      return;
    }
    const echo: Echo = { method: seen.method, path: seen.path, body: seen.body, headers: seen.headers };
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(echo));
  });
}
