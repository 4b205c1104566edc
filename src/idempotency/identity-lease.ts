import type { Clock } from '../core/clock.js';
import { realDelay } from './record-writer.js';
import { sha256 } from './resource-claims.js';
import type { RequestRecord } from '../store/record.js';
import type { RequestStore } from '../store/request-store.js';

/** A call's exclusive hold on its identifying keys in the request store. */
export interface IdentityLease {
  /** Whether the hold is still this call's, unbroken since it was taken (reads the store; `false` on doubt). */
  readonly exclusive: () => Promise<boolean>;
  /** Ends the call's hold. The keys stay held for `holdMs` more: the call's resource may still commit. */
  readonly release: () => Promise<void>;
}

/** Options of {@link acquireIdentity}. */
export interface IdentityLeaseOptions {
  readonly store: RequestStore;
  readonly clock: Clock;
  /** The call's client request id: a re-run of the same call may take its own earlier hold over. */
  readonly clientRequestId: string;
  /** How long a hold lives without renewal (a crashed holder's hold lapses after it). */
  readonly leaseMs: number;
  /** How long after a hold ends (released or lapsed) before another call may take it. */
  readonly holdMs: number;
}

const CONTENDED = 'contended';

/**
 * Takes the identity `identity` (for an order: API, campaign and recipient) before the call's
 * first send, and renews it with a heartbeat until {@link IdentityLease.release}. The record
 * names its one holder; a second call that arrives while it is held (or within `holdMs` of its
 * end) marks it contended instead, which ends the first call's exclusivity too, and it stays
 * contended until every hold on it has lapsed for `holdMs`. Resolves `undefined` when the store
 * cannot say: the call then has no proof of exclusivity and its existence check takes the full
 * settle window. The record lives beside the request records under a hashed scope (the keys
 * may be personal data and are never stored).
 *
 * @example
 * ```ts
 * const lease = await acquireIdentity('api.test campaign-1 a@b.c', { store, clock, clientRequestId, leaseMs: 30_000, holdMs: 30_000 });
 * try { await send(); } finally { await lease?.release(); }
 * ```
 */
export async function acquireIdentity(identity: string, options: IdentityLeaseOptions): Promise<IdentityLease | undefined> {
  const { store, clock, clientRequestId, leaseMs, holdMs } = options;
  const scope = `~identity:${await sha256(identity)}`;
  const ttlMs = Math.max(1, Math.ceil(2 * leaseMs + holdMs));

  /** Applies `change` to the stored record with compare-and-set, re-reading on a conflict. */
  const modify = async (change: (current: RequestRecord | undefined, now: number) => RequestRecord | undefined): Promise<boolean> => {
    for (let round = 0; round < 5; round += 1) {
      const now = clock.now();
      const current = await store.get(scope);
      const next = change(current, now);
      if (next === undefined) return true;
      const ok = current === undefined ? (await store.claim(next, ttlMs)).claimed : await store.update(next, current.version, ttlMs);
      if (ok) return true;
    }
    return false;
  };
  const renew = (current: RequestRecord | undefined, now: number): RequestRecord => {
    if (current === undefined) return fresh(scope, clientRequestId, now + leaseMs, now);
    const quiet = current.leaseUntil + holdMs <= now;
    const holder = quiet || current.clientRequestId === clientRequestId ? clientRequestId : CONTENDED;
    const leaseUntil = quiet ? now + leaseMs : Math.max(current.leaseUntil, now + leaseMs);
    return { ...current, clientRequestId: holder, leaseUntil, version: current.version + 1, updatedAt: now };
  };

  try {
    if (!(await modify(renew))) return undefined;
  } catch {
    return undefined;
  }
  const stopped = new AbortController();
  void (async function heartbeat(): Promise<void> {
    while (await realDelay(clock, Math.max(10, Math.floor(leaseMs / 3)), stopped.signal)) {
      await modify(renew).catch(() => false);
    }
  })();
  return {
    exclusive: async () => {
      const current = await store.get(scope).catch(() => undefined);
      return current?.clientRequestId === clientRequestId;
    },
    release: async () => {
      stopped.abort();
      // Only the sole holder may shorten the hold; a contended one lapses by itself.
      await modify((current, now) =>
        current?.clientRequestId === clientRequestId ? { ...current, leaseUntil: now, version: current.version + 1, updatedAt: now } : undefined,
      ).catch(() => false);
    },
  };
}

function fresh(scope: string, clientRequestId: string, leaseUntil: number, now: number): RequestRecord {
  return {
    scope, clientRequestId, state: 'pending', operation: 'identity hold', fingerprint: 'identity',
    attempts: 0, owner: 'identity', leaseUntil, version: 1, createdAt: now, updatedAt: now,
  };
}
