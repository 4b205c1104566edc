import type { Clock } from '../core/clock.js';

/**
 * A `Map` bounded to `maxEntries`, used as the keyv store of `memoryStore`. It knows each entry's
 * expiry from the `ttl` keyv passes to `set`, hides expired entries, and when full evicts expired
 * entries first, then the least recently used. Reads move an entry to the most-recent end.
 *
 * It stays a real `Map` subclass because keyv special-cases `instanceof Map` (iteration, `has`).
 *
 * @example
 * ```ts
 * const keyv = new Keyv({ store: new BoundedMap(10_000, systemClock) });
 * ```
 */
export class BoundedMap extends Map<string, unknown> {
  readonly #maxEntries: number;
  readonly #clock: Clock;
  readonly #expiresAt = new Map<string, number>();
  /** A lower bound of the earliest expiry, so a full map sweeps only when something may have expired. */
  #nextExpiry = Number.POSITIVE_INFINITY;

  /**
   * @param maxEntries - the bound; at least 1
   * @param clock - judges expiry
   */
  constructor(maxEntries: number, clock: Clock) {
    super();
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`surefetch: maxEntries must be a positive integer, got ${String(maxEntries)}`);
    }
    this.#maxEntries = maxEntries;
    this.#clock = clock;
  }

  /** The value of a live entry, marking it recently used; `undefined` when absent or expired. */
  override get(key: string): unknown {
    const value = this.live(key);
    if (value !== undefined) {
      super.delete(key);
      super.set(key, value);
    }
    return value;
  }

  /** The value of a live entry without touching its recency; drops it when expired. */
  live(key: string): unknown {
    const expiresAt = this.#expiresAt.get(key);
    if (expiresAt !== undefined && expiresAt <= this.#clock.now()) {
      this.delete(key);
      return undefined;
    }
    return super.get(key);
  }

  override has(key: string): boolean {
    return this.live(key) !== undefined;
  }

  /** Stores a value, with an expiry when `ttlMs` is given (keyv passes its TTL here), then evicts. */
  override set(key: string, value: unknown, ttlMs?: number): this {
    super.delete(key);
    super.set(key, typeof value === 'string' ? flatten(value) : value);
    if (typeof ttlMs === 'number' && ttlMs > 0) {
      const expiresAt = this.#clock.now() + ttlMs;
      this.#expiresAt.set(key, expiresAt);
      this.#nextExpiry = Math.min(this.#nextExpiry, expiresAt);
    } else {
      this.#expiresAt.delete(key);
    }
    this.#evict();
    return this;
  }

  override delete(key: string): boolean {
    this.#expiresAt.delete(key);
    return super.delete(key);
  }

  override clear(): void {
    this.#expiresAt.clear();
    this.#nextExpiry = Number.POSITIVE_INFINITY;
    super.clear();
  }

  #evict(): void {
    if (this.size <= this.#maxEntries) return;
    const now = this.#clock.now();
    if (this.#nextExpiry <= now) {
      let next = Number.POSITIVE_INFINITY;
      for (const [key, expiresAt] of this.#expiresAt) {
        if (expiresAt <= now) this.delete(key);
        else next = Math.min(next, expiresAt);
      }
      this.#nextExpiry = next;
    }
    // Map iteration order is insertion order, and reads re-insert: the first key is the least recently used.
    for (const key of this.keys()) {
      if (this.size <= this.#maxEntries) break;
      this.delete(key);
    }
  }
}

/**
 * A flat copy of a string. keyv's serializer builds a record's text piece by piece (`s += …`),
 * which V8 keeps as a tree of hundreds of string pieces, several times the size of the text:
 * a kept record is copied once into one sequential string (4.9 KB → 1.4 KB a record).
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function flatten(text: string): string {
  // Through UTF-8 and back (Web APIs, so the root stays free of Node's Buffer); a lone surrogate
  // becomes U+FFFD, as keyv's JSON would have it anyway.
  return decoder.decode(encoder.encode(text));
}
