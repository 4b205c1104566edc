/**
 * The `node:http` plumbing shared by both emulated APIs: listening on 127.0.0.1:0, the
 * request pipeline (log → outage → auth → rate limit → fault → route), socket tracking and
 * shutdown.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createFaultEngine } from './fault.js';
import { runFault, type Exchange } from './fault-runner.js';
import { logHeaders, readBody, resetSocket, writeReply } from './http-io.js';
import { createFixedWindowLimiter } from './rate-limit.js';
import { matchRoute, routeKeyOf, type Route, type RouteContext } from './router.js';
import type { Emulator, EmulatorOptions, EmulatorStats, LoggedRequest, OutageResponse, Reply } from './types.js';

/** The outcome of authenticating a request: a key (or none) to go on with, or an answer. */
export type AuthResult = { readonly ok: true; readonly key: string | undefined } | { readonly ok: false; readonly reply: Reply };

/** What makes an emulator one particular API. */
export interface ApiSpec<R> {
  /** The API's record collections. */
  readonly records: R;
  /** A valid key with every scope. */
  readonly apiKey: string;
  /** Its endpoints, first match wins. */
  readonly routes: readonly Route[];
  /** Checks credentials; `route` is `undefined` when no route matched. */
  authenticate(headers: IncomingHttpHeaders, route: Route | undefined): AuthResult;
  /** The API's answer to an unknown route. */
  notFound(): Reply;
  /** The API's 500. */
  serverError(): Reply;
  /** The API's answer to a body that is not JSON. */
  malformedJson(): Reply;
  /** The API's 429 when the rate limit refuses a request. */
  tooManyRequests(resetSeconds: number): Reply;
}

/**
 * Starts a server for `spec` on 127.0.0.1 with a free port.
 *
 * @example
 * ```ts
 * const emulator = await startEmulator(spec, { listLagMs: 100 });
 * await emulator.close();
 * ```
 */
export async function startEmulator<R>(spec: ApiSpec<R>, options: EmulatorOptions = {}): Promise<Emulator<R>> {
  const readClock = clockReader(options.clock);
  const limiter = options.rateLimit ? createFixedWindowLimiter(options.rateLimit) : undefined;
  const faults = createFaultEngine(options.faultMix, options.seed ?? 1);
  const requests: LoggedRequest[] = [];
  const stats: EmulatorStats = { requests: 0, byStatus: {}, tooManyRequests: 0, creates: 0, resets: 0 };
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const committedAt = new WeakMap<object, number>();
  let outage: { response: OutageResponse; timer: NodeJS.Timeout } | undefined;
  let baseUrl = '';

  function later(ms: number, task: () => void): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      task();
    }, ms);
    timers.add(timer);
  }

  function contextFor(url: URL, params: Record<string, string>, body: unknown): RouteContext {
    return {
      params,
      query: url.searchParams,
      body,
      baseUrl,
      path: url.pathname,
      now: readClock,
      commit<T extends object>(collection: T[], record: T): T {
        collection.push(record);
        committedAt.set(record, readClock());
        stats.creates += 1;
        return record;
      },
      visible<T extends object>(collection: readonly T[]): T[] {
        const cutoff = readClock() - (options.listLagMs ?? 0);
        return collection.filter((record) => (committedAt.get(record) ?? -Infinity) <= cutoff);
      },
    };
  }

  async function handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const url = new URL(request.url ?? '/', baseUrl);
    const method = (request.method ?? 'GET').toUpperCase();
    const match = matchRoute(spec.routes, method, url.pathname);
    const entry: LoggedRequest = {
      method,
      path: url.pathname,
      routeKey: match ? routeKeyOf(match.route) : `${method} ${url.pathname}`,
      query: Object.fromEntries(url.searchParams),
      headers: logHeaders(request.headers),
      body: body.value,
      time: readClock(),
    };
    requests.push(entry);
    stats.requests += 1;
    let rateHeaders: Record<string, string> = {};

    const exchange: Exchange = {
      apply(): Reply {
        if (!match) return spec.notFound();
        if (body.malformed) return spec.malformedJson();
        return match.route.handle(contextFor(url, match.params, body.value));
      },
      send(reply: Reply, real: boolean): void {
        if (!writeReply(response, reply, real ? rateHeaders : {})) return;
        entry.status = reply.status;
        stats.byStatus[reply.status] = (stats.byStatus[reply.status] ?? 0) + 1;
        if (reply.status === 429) stats.tooManyRequests += 1;
      },
      reset(): void {
        entry.reset = true;
        stats.resets += 1;
        resetSocket(response);
      },
      serverError: () => spec.serverError(),
      later,
    };

    if (outage) {
      const status = outage.response.status ?? 503;
      entry.fault = { kind: 'outage', status };
      exchange.send({ status, headers: outage.response.headers ?? {}, body: outage.response.body }, false);
      return;
    }
    const auth = spec.authenticate(request.headers, match?.route);
    if (!auth.ok) {
      exchange.send(auth.reply, false);
      return;
    }
    if (limiter && auth.key !== undefined) {
      const decision = limiter.take(auth.key, readClock());
      rateHeaders = decision.headers;
      if (!decision.allowed) {
        if (options.rateLimit?.retryAfter === true) rateHeaders = { ...rateHeaders, 'Retry-After': String(decision.resetSeconds) };
        exchange.send(spec.tooManyRequests(decision.resetSeconds), true);
        return;
      }
    }
    const fault = faults.next(entry.routeKey);
    if (fault) entry.fault = fault;
    runFault(fault, exchange);
  }

  const server = createServer((request, response) => {
    handleRequest(request, response).catch((error: unknown) => {
      writeReply(response, { status: 500, body: `emulator bug: ${String(error)}` });
    });
  });
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await listen(server, 0);
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  function endOutage(): void {
    if (outage) clearTimeout(outage.timer);
    outage = undefined;
  }

  return {
    url: baseUrl,
    apiKey: spec.apiKey,
    requests,
    records: spec.records,
    faults,
    stats,
    outage(ms: number, response: OutageResponse = {}): void {
      endOutage();
      const timer = setTimeout(endOutage, ms);
      outage = { response, timer };
    },
    endOutage,
    async stopListening(): Promise<void> {
      if (!server.listening) return;
      server.close();
      server.closeIdleConnections();
      // Give clients time to see their idle keep-alive sockets close; otherwise the next
      // request may go out on a dead socket and fail as a reset instead of a refusal.
      await new Promise<void>((resolve) => setTimeout(resolve, 25));
    },
    async resumeListening(): Promise<void> {
      if (!server.listening) await listen(server, port);
    },
    async close(): Promise<void> {
      endOutage();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve) => {
        if (server.listening) server.close(() => resolve());
        else resolve();
      });
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function clockReader(clock: EmulatorOptions['clock']): () => number {
  if (clock === undefined) return () => Date.now();
  if (typeof clock === 'function') return clock;
  return () => clock.now();
}

function listen(server: ReturnType<typeof createServer>, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
