/**
 * A small node:http API for the rate-limit tests: a fixed window per credential that answers
 * 429 when spent (counting them), `RateLimit-*` headers on every answer, scripted answers,
 * and a log of arrival times.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSlidingWindowThrottle } from './emulator/throttle.js';

/** A scripted answer. */
export interface ScriptedReply {
  readonly status: number;
  /** A list value is sent as that many field lines. */
  readonly headers?: Readonly<Record<string, string | string[]>>;
  readonly body?: string;
}

/** One request as the server saw it. */
export interface ServerLogEntry {
  readonly time: number;
  readonly path: string;
  readonly worker: string;
  readonly status: number;
}

/** Options of {@link startRateLimitServer}. */
export interface RateLimitServerOptions {
  /** Requests per window per credential; no limit when absent. */
  readonly limit?: number;
  /** @default 1000 */
  readonly windowMs?: number;
  /**
   * The reset the headers announce comes this long before the window really ends: a server
   * whose window does not roll over when it says. @default 0
   */
  readonly resetEarlyMs?: number;
  /** Also send `Retry-After` (whole seconds) on the limiter's 429s. @default false */
  readonly retryAfter?: boolean;
  /** Answers a request before the limiter does; `undefined` lets the limiter answer. */
  readonly script?: (request: { path: string; headers: IncomingMessage['headers']; index: number }) => ScriptedReply | undefined;
  /** Delay before each answer. @default 0 */
  readonly latencyMs?: number;
  /**
   * A Django REST Framework-style sliding-window throttle per credential instead of the fixed
   * window: refusals carry `Retry-After` only, accepted answers no rate-limit header at all.
   */
  readonly throttle?: { readonly limit: number; readonly windowMs: number };
}

/** A running server. */
export interface RateLimitServer {
  readonly url: string;
  readonly log: readonly ServerLogEntry[];
  /** 429s sent, by the limiter or scripted. */
  tooManyRequests(worker?: string): number;
  close(): Promise<void>;
}

/**
 * Starts the server on 127.0.0.1 with a random port. A window opens at the first request
 * after the previous one ended (as many API gateways do); refused requests do not count.
 */
export async function startRateLimitServer(options: RateLimitServerOptions = {}): Promise<RateLimitServer> {
  const { limit, windowMs = 1000, resetEarlyMs = 0, retryAfter = false, script, latencyMs = 0 } = options;
  const throttle = options.throttle === undefined ? undefined : createSlidingWindowThrottle(options.throttle);
  const windows = new Map<string, { start: number; used: number }>();
  const log: ServerLogEntry[] = [];
  let index = 0;

  const server = createServer((request, response) => {
    const now = Date.now();
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const worker = String(request.headers['x-worker'] ?? '');
    const credential = String(request.headers.authorization ?? request.headers['x-api-key'] ?? 'anonymous');
    let reply = script?.({ path, headers: request.headers, index: index++ });
    if (reply === undefined && throttle !== undefined) {
      const decision = throttle.take(credential, now);
      reply = decision.allowed ? { status: 200, body: '{"ok":true}' } : { status: 429, headers: decision.headers, body: '{"detail":"Request was throttled."}' };
    }
    if (reply === undefined && limit !== undefined) {
      let window = windows.get(credential);
      if (window === undefined || now >= window.start + windowMs) {
        window = { start: now, used: 0 };
        windows.set(credential, window);
      }
      const allowed = window.used < limit;
      if (allowed) window.used += 1;
      const resetSeconds = Math.max(1, Math.ceil((window.start + windowMs - resetEarlyMs - now) / 1000));
      const headers: Record<string, string> = {
        'RateLimit-Limit': String(limit),
        'RateLimit-Remaining': String(limit - window.used),
        'RateLimit-Reset': String(resetSeconds),
      };
      if (!allowed && retryAfter) headers['Retry-After'] = String(resetSeconds);
      reply = allowed ? { status: 200, headers, body: '{"ok":true}' } : { status: 429, headers, body: '{"message":"Too many requests"}' };
    }
    reply ??= { status: 200, body: '{"ok":true}' };
    log.push({ time: now, path, worker, status: reply.status });
    const answer = (): void => {
      response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      response.end(reply.body ?? '');
    };
    request.resume();
    if (latencyMs > 0) setTimeout(answer, latencyMs);
    else answer();
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    tooManyRequests: (worker?: string) => log.filter((entry) => entry.status === 429 && (worker === undefined || entry.worker === worker)).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
