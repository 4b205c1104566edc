import type { Clock } from '../core/clock.js';
import type { RequestRecord } from '../store/record.js';
import type { RequestStore } from '../store/request-store.js';

/**
 * Claims that a resource (an order id on an API) is one call's result, in the request store
 * beside the request records. A match by fingerprint is taken only if no other call claimed it:
 * two identical creates to the same recipient must never both be told "this order is yours".
 * Resolves `true` when the resource is this call's (claimed now, or earlier by the same call),
 * `false` when another call's, and rejects when the store cannot say (the check fails closed).
 *
 * @example
 * ```ts
 * if (await claimResource(store, 'api.test ord_000042', { clientRequestId, clock, ttlMs })) return recovered(order);
 * ```
 */
export async function claimResource(
  store: RequestStore,
  resource: string,
  options: { readonly clientRequestId: string; readonly clock: Clock; readonly ttlMs: number },
): Promise<boolean> {
  const now = options.clock.now();
  const record: RequestRecord = {
    scope: `~resource:${await sha256(resource)}`,
    clientRequestId: options.clientRequestId,
    state: 'succeeded',
    operation: 'resource claim',
    fingerprint: 'resource',
    attempts: 0,
    owner: 'resource',
    leaseUntil: now,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  const claim = await store.claim(record, options.ttlMs);
  return claim.claimed || claim.existing.clientRequestId === options.clientRequestId;
}

/**
 * Whether another call already claimed a resource (see {@link claimResource}); reads only.
 *
 * @example
 * ```ts
 * if (await claimedByOther(store, 'api.test ord_000042', clientRequestId)) skip(order);
 * ```
 */
export async function claimedByOther(store: RequestStore, resource: string, clientRequestId: string): Promise<boolean> {
  const existing = await store.get(`~resource:${await sha256(resource)}`);
  return existing !== undefined && existing.clientRequestId !== clientRequestId;
}

/**
 * Hex SHA-256 of `text` (Web Crypto): store keys derived from personal data never hold it.
 *
 * @example
 * ```ts
 * await sha256('api.test ord_1'); // '3f…'
 * ```
 */
export async function sha256(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
