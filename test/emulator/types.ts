/**
 * Shapes shared by both emulated APIs: options, the running emulator handle, the request log
 * and the answers route handlers produce.
 */
import type { Fault, FaultMix, FaultScript } from './fault.js';

/** A time source: a function returning ms since the epoch, or an object with `now()`. */
export type EmulatorClock = (() => number) | { now(): number };

/** Options common to both emulated APIs. */
export interface EmulatorOptions {
  /** Time source for rate-limit windows, list lag, timestamps and the log. @default Date.now */
  readonly clock?: EmulatorClock;
  /**
   * A fixed window per API key; when set every answer carries `RateLimit-*` headers, and with
   * `retryAfter` its 429s also carry `Retry-After` (whole seconds). @default off
   */
  readonly rateLimit?: { readonly limit: number; readonly windowMs: number; readonly retryAfter?: boolean };
  /** A committed record shows in list endpoints only this many ms (of `clock`) later. @default 0 */
  readonly listLagMs?: number;
  /** Seeds the generated API key and the fault mix. @default 1 */
  readonly seed?: number;
  /** A seeded random fault on every matching request. @default none */
  readonly faultMix?: FaultMix;
}

/** An answer: an object body is sent as JSON, a string body as is, `undefined` as empty. */
export interface Reply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** A fault as recorded in the log: a scripted or drawn {@link Fault}, or an outage answer. */
export type LoggedFault = Fault | { readonly kind: 'outage'; readonly status: number };

/** One request as the emulator received it. */
export interface LoggedRequest {
  /** Upper-case method. */
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** The route key that matched (`'POST /v1/orders/create'`), or `'METHOD /path'` when none did. */
  readonly routeKey: string;
  /** Query parameters (the last value of a repeated name). */
  readonly query: Readonly<Record<string, string>>;
  /** Headers with lower-case names; `authorization` is replaced by `'[redacted]'`. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body: parsed JSON, else the raw text, else `undefined` when empty. */
  readonly body: unknown;
  /** `clock` reading when the request arrived. */
  readonly time: number;
  /** The fault applied to this request, if any. */
  fault?: LoggedFault;
  /** The status answered; `undefined` while pending, after a reset, or during an endless stall. */
  status?: number;
  /** `true` when the emulator destroyed the socket instead of answering. */
  reset?: boolean;
}

/** Counters of what the emulator did. */
export interface EmulatorStats {
  /** Requests received. */
  requests: number;
  /** Answers sent, by status. */
  readonly byStatus: Record<number, number>;
  /** 429 answers sent (by the rate limiter or scripted). */
  tooManyRequests: number;
  /** Records committed by create endpoints (late commits included). */
  creates: number;
  /** Sockets destroyed by a fault instead of answering. */
  resets: number;
}

/** The answer of every request during {@link Emulator.outage}. */
export interface OutageResponse {
  /** @default 503 */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** @default empty */
  readonly body?: unknown;
}

/** A running emulated API. `R` is its record collections. */
export interface Emulator<R> {
  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly url: string;
  /** A valid API key with every scope. */
  readonly apiKey: string;
  /** Every request received, in arrival order. */
  readonly requests: LoggedRequest[];
  /** The server's stored resources by collection (mutable, for tests). */
  readonly records: R;
  /** Scripted and random faults. */
  readonly faults: FaultScript;
  /** Counters. */
  readonly stats: EmulatorStats;
  /** Answers every request with `response` (default 503) for `ms` of real time from now. */
  outage(ms: number, response?: OutageResponse): void;
  /** Ends an outage early. */
  endOutage(): void;
  /** Stops accepting connections and closes idle ones, so new requests are refused. */
  stopListening(): Promise<void>;
  /** Listens again on the same port after {@link Emulator.stopListening}. */
  resumeListening(): Promise<void>;
  /** Cancels pending timers, destroys every socket and stops the server. */
  close(): Promise<void>;
}
