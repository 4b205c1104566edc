import type { SentState } from '../core/types.js';
import type { RecordedFailure } from '../errors/recorded-failure.js';

export type { RecordedFailure } from '../errors/recorded-failure.js';

/**
 * Where a protected call stands: `pending` while a worker holds the claim (or died holding
 * it), `succeeded` once a 2xx answer was stored, `failed` once a terminal outcome was stored.
 */
export type RecordState = 'pending' | 'succeeded' | 'failed';

/**
 * A stored copy of a successful answer, replayed to a re-run instead of sending again.
 * Headers are stored already free of secrets (`set-cookie` and the like are stripped by the
 * idempotency layer before it writes; the stores' `assertStorableRecord` check refuses them
 * anyway).
 */
export interface StoredResponse {
  /** HTTP status. */
  readonly status: number;
  /** Response headers, lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body, as text or as base64 (see `bodyEncoding`). */
  readonly body: string;
  /** `utf8` when `body` is the text itself, `base64` when it holds bytes. */
  readonly bodyEncoding: 'utf8' | 'base64';
}

/**
 * The latest send of a protected call that got no answer within its attempt's timeout. The API
 * may not have read it yet (it may wait behind a busy worker or a load balancer's queue) and
 * act on it after any read made before then, so an existence check takes absence as proof only
 * from a read made long enough after `sentAt` (see `LookupOptions.requestLifetimeMs`).
 */
export interface UnansweredSend {
  /** When it was sent, epoch ms on the call's clock. */
  readonly sentAt: number;
  /** The attempt timeout it was sent under, in ms (as configured, even where a deadline cut that attempt short). */
  readonly timeoutMs: number;
}

/**
 * The durable record of one protected call, written before the first send and keyed by the
 * caller's scope (a job id plus step name, an order number), so that a re-run after a crash
 * finds what the earlier run did.
 *
 * @example
 * ```ts
 * const record: RequestRecord = {
 *   scope: 'job-42:create-order',
 *   clientRequestId: 'b3c1…',
 *   state: 'pending',
 *   operation: 'POST /v1/orders/create',
 *   fingerprint: 'sha256:…',
 *   attempts: 0,
 *   owner: 'worker-7:3f2a',
 *   leaseUntil: Date.now() + 30_000,
 *   version: 1,
 *   createdAt: Date.now(),
 *   updatedAt: Date.now(),
 * };
 * ```
 */
export interface RequestRecord {
  /** The key the caller gave. */
  readonly scope: string;
  /** Stable across attempts and re-runs. */
  readonly clientRequestId: string;
  /** Where the call stands. */
  readonly state: RecordState;
  /** E.g. `"POST /v1/orders/create"`. */
  readonly operation: string;
  /** Hash of method + URL + body; a scope reused with a different request is an error. */
  readonly fingerprint: string;
  /** How many attempts were sent so far. */
  readonly attempts: number;
  /** Epoch ms of the first send (for "created after our first send" matching). */
  readonly firstSentAt?: number;
  /** The sent state of the last attempt. */
  readonly lastSent?: SentState;
  /** The latest send that timed out unanswered, which the API may still act on (see {@link UnansweredSend}). */
  readonly unanswered?: UnansweredSend;
  /**
   * The send handed to the layers below and not yet known to have ended, written before each
   * send and cleared as the call settles or finds the send timed out. A record left with one was
   * left by a worker that died (or froze) with its request out: the worker taking the scope over
   * counts that send as unanswered from the takeover on, since the dead worker may have sent it
   * up to its last moment (a limiter's queue below `idempotency` may have held it until then).
   */
  readonly inFlight?: UnansweredSend;
  /** Token of the worker holding the claim. */
  readonly owner: string;
  /** Epoch ms; a `pending` record whose lease has passed may be taken over (its worker died). */
  readonly leaseUntil: number;
  /** Incremented on each update, for compare-and-set. */
  readonly version: number;
  /** The answer, when `succeeded`. */
  readonly response?: StoredResponse;
  /**
   * What went wrong: the terminal failure of a `failed` record, or, on a `pending` record its
   * worker released, why that run gave up (the callers that waited for that run get it).
   */
  readonly error?: RecordedFailure;
  /** Why a `succeeded` record holds no `response` to replay (its status, and e.g. the body's size). */
  readonly unstoredResponse?: {
    /** The HTTP status of the success. */
    readonly status: number;
    /** Why its body was not stored, for people. */
    readonly reason: string;
  };
  /** Epoch ms of the claim. */
  readonly createdAt: number;
  /** Epoch ms of the last write. */
  readonly updatedAt: number;
}

const states: ReadonlySet<string> = new Set(['pending', 'succeeded', 'failed']);

/**
 * Tells whether a value read back from a store has the shape of a {@link RequestRecord}.
 * Stores use it to refuse foreign values sharing their namespace.
 *
 * @example
 * ```ts
 * const value = await keyv.get('job-42:create-order');
 * if (isRequestRecord(value)) console.log(value.state);
 * ```
 */
export function isRequestRecord(value: unknown): value is RequestRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.scope === 'string' &&
    typeof r.clientRequestId === 'string' &&
    typeof r.state === 'string' &&
    states.has(r.state) &&
    typeof r.operation === 'string' &&
    typeof r.fingerprint === 'string' &&
    typeof r.owner === 'string' &&
    Number.isSafeInteger(r.version) &&
    Number.isFinite(r.attempts) &&
    Number.isFinite(r.leaseUntil) &&
    Number.isFinite(r.createdAt) &&
    Number.isFinite(r.updatedAt)
  );
}

/** Header names that carry credentials and must never reach a store. */
const secretHeaders: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
]);

/**
 * Throws a `TypeError` when a record cannot be stored faithfully or would leak a secret:
 * a malformed shape, a non-integer version, or a stored response header that carries a
 * credential. A guard at the store boundary; the idempotency layer strips those headers first.
 *
 * @example
 * ```ts
 * assertStorableRecord(record); // throws on `response.headers['set-cookie']`
 * ```
 */
export function assertStorableRecord(record: RequestRecord): void {
  if (!isRequestRecord(record)) throw new TypeError('surefetch: not a well-formed RequestRecord');
  if (record.scope.length === 0) throw new TypeError('surefetch: a RequestRecord needs a non-empty scope');
  for (const name of Object.keys(record.response?.headers ?? {})) {
    if (secretHeaders.has(name.toLowerCase())) {
      throw new TypeError(`surefetch: refusing to store the credential-bearing response header "${name}"`);
    }
  }
}
