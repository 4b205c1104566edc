import type { Keyv } from 'keyv';
import { assertStorableRecord, isRequestRecord, type RequestRecord } from './record.js';

/**
 * The value at a record's key is not a surefetch request record: another program writes to the
 * same namespace, or the record was edited by hand. A `TypeError`, as the stores have always
 * thrown for it; the idempotency layer turns it into `IdempotencyError` `RECORD_UNREADABLE`
 * (nothing is sent on a value it cannot read). @internal
 */
export class UnreadableRecordError extends TypeError {
  constructor(message: string, options?: ErrorOptions) {
    super(`surefetch: ${message}`, options);
    this.name = 'UnreadableRecordError';
  }
}

/** A record as decoded from a backend, with its keyv expiry (epoch ms), if any. */
export interface DecodedRecord {
  readonly record: RequestRecord;
  readonly expires: number | undefined;
}

/**
 * Throws a `TypeError` when a keyv instance cannot share records with the raw writes of a store:
 * without string (de)serializers, or with compression (raw writes would bypass it).
 *
 * @example
 * ```ts
 * assertCompatibleKeyv(new Keyv({ store: new KeyvRedis(url) }));
 * ```
 */
export function assertCompatibleKeyv(keyv: Keyv): void {
  if (typeof keyv.serialize !== 'function' || typeof keyv.deserialize !== 'function') {
    throw new TypeError('surefetch: the keyv instance needs its serialize/deserialize functions (the default JSON ones work)');
  }
  if (keyv.compression !== undefined) {
    throw new TypeError('surefetch: a keyv instance with compression cannot be used as a request store');
  }
}

/**
 * The key keyv itself uses for a scope (its namespace prefix, when `useKeyPrefix` is on), so that
 * raw writes and `keyv.get(scope)` meet on the same key. Adapters may prefix it again (Redis).
 *
 * @example
 * ```ts
 * keyvKey(new Keyv({ namespace: 'surefetch' }), 'job-1'); // 'surefetch:job-1'
 * ```
 */
export function keyvKey(keyv: Keyv, scope: string): string {
  return keyv._getKeyPrefix(scope);
}

/**
 * Serializes a record the way `keyv.set` would (`{ value, expires }` through keyv's serializer),
 * after checking that it is storable. Adds nothing to the record.
 *
 * @example
 * ```ts
 * const raw = await encodeRecord(keyv, record, clock.now() + ttlMs);
 * ```
 */
export async function encodeRecord(keyv: Keyv, record: RequestRecord, expires: number): Promise<string> {
  assertStorableRecord(record);
  const serialize = keyv.serialize;
  if (!serialize) throw new TypeError('surefetch: the keyv instance has no serializer');
  const raw: unknown = await serialize({ value: record, expires });
  if (typeof raw !== 'string') throw new TypeError('surefetch: the keyv serializer must produce a string');
  return raw;
}

/**
 * Decodes a stored value; `undefined` when absent or past `expires` on `now`. Throws an
 * {@link UnreadableRecordError} when the value is not a surefetch record (a foreign value in the namespace).
 *
 * @example
 * ```ts
 * const decoded = await decodeRecord(keyv, await client.get(key), clock.now());
 * ```
 */
export async function decodeRecord(keyv: Keyv, raw: unknown, now: number): Promise<DecodedRecord | undefined> {
  const data = deserializeStored(keyv, raw);
  return checkDecoded(data instanceof Promise ? await data.catch(() => Promise.reject(notKeyvJson())) : data, now);
}

/**
 * What keyv's deserializer makes of a stored value (`undefined` when absent), as it returns it (a
 * promise for an async deserializer): the synchronous half of {@link decodeRecord}, for a store
 * that must not await between its check and its write. Throws an {@link UnreadableRecordError}
 * for a value that is not a string or that the deserializer cannot read.
 *
 * @example
 * ```ts
 * const data = deserializeStored(keyv, map.get(key));
 * ```
 */
export function deserializeStored(keyv: Keyv, raw: unknown): unknown {
  if (raw === undefined || raw === null) return undefined;
  const deserialize = keyv.deserialize;
  if (!deserialize) throw new TypeError('surefetch: cannot decode a stored record');
  if (typeof raw !== 'string') throw new UnreadableRecordError('the stored value is not a string');
  try {
    return deserialize<unknown>(raw);
  } catch {
    throw notKeyvJson();
  }
}

// Not even keyv's JSON. The parser's message quotes the value, which may be anyone's: not kept.
const notKeyvJson = (): UnreadableRecordError => new UnreadableRecordError('the stored value is not a keyv-serialized record');

/**
 * Checks what a keyv deserializer produced: `undefined` when absent or expired,
 * the record otherwise; an {@link UnreadableRecordError} for a foreign value.
 *
 * @example
 * ```ts
 * const decoded = checkDecoded(await deserializeStored(keyv, raw), clock.now());
 * ```
 */
export function checkDecoded(data: unknown, now: number): DecodedRecord | undefined {
  if (data === undefined || data === null) return undefined;
  const { value, expires } = data as { value?: unknown; expires?: unknown };
  if (!isRequestRecord(value)) throw new UnreadableRecordError('the stored value is not a surefetch request record');
  const expiresAt = typeof expires === 'number' ? expires : undefined;
  if (expiresAt !== undefined && expiresAt <= now) return undefined;
  return { record: value, expires: expiresAt };
}
