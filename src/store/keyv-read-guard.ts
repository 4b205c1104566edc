import type { Keyv } from 'keyv';

/**
 * How long before its `expires` a value is already hidden from `store.keyv`'s reads. keyv judges
 * the value its adapter returned on `Date.now()` only after the read has come back (its deserializer
 * and a few microtasks later, more when something holds the event loop): the margin keeps that
 * judgement from ever finding expired what the adapter let through. The cost: through keyv, a record
 * with less than this left reads as absent a moment early. The store's own operations ignore it. @internal
 */
export const keyvReadMarginMs = 1000;

/** The read methods of a keyv storage adapter (`@keyv/redis`, `@keyv/postgres`). */
interface ReadingAdapter {
  get(key: string): Promise<unknown>;
  getMany?(keys: string[]): Promise<unknown[]>;
  has?(key: string): Promise<boolean>;
  hasMany?(keys: string[]): Promise<boolean[]>;
  iterator?(namespace?: string): AsyncGenerator<[string, unknown], void>;
}

const guarded = new WeakSet<object>();

/**
 * Makes the reads of a keyv instance's adapter (`get`, `getMany`, `iterator`) return a value past
 * its `expires`, or with less than {@link keyvReadMarginMs} left on `Date.now()`, as absent. keyv,
 * handed an expired value, deletes its key unconditionally: that delete could erase a record
 * written since the read (a takeover claim) or one the backend still holds (a writer whose clock is
 * behind the reader's). Hidden, the value never reaches keyv's delete; `keyv.delete` still deletes.
 * `has` and `hasMany` answer as `get` does (an adapter's own `has` may count a row past its expiry:
 * `@keyv/postgres` does). Patches the adapter and `keyv.iterator` in place, once per adapter, and
 * returns the keyv instance. @internal
 *
 * @param keyv - the store's keyv instance
 * @param storeNow - the store's clock, when it judges expiry too (a value past it is hidden as well)
 *
 * @example
 * ```ts
 * const keyv = guardKeyvReads(new Keyv({ store: adapter, namespace }), () => clock.now());
 * ```
 */
export function guardKeyvReads(keyv: Keyv, storeNow?: () => number): Keyv {
  const adapter = keyv.store as ReadingAdapter;
  if (guarded.has(adapter)) return keyv;
  guarded.add(adapter);
  // A value that cannot be read is left to keyv, which fails on it as it always has.
  const hidden = async (raw: unknown): Promise<boolean> => {
    if (raw === undefined || raw === null) return false;
    let data: unknown = raw;
    if (typeof raw === 'string') {
      try {
        data = keyv.deserialize ? await keyv.deserialize<unknown>(raw) : undefined;
      } catch {
        return false;
      }
    }
    const expires = (data as { expires?: unknown } | undefined)?.expires;
    return typeof expires === 'number' && expires <= Math.max(storeNow?.() ?? Number.NEGATIVE_INFINITY, Date.now() + keyvReadMarginMs);
  };
  const get = adapter.get.bind(adapter);
  adapter.get = async (key) => {
    const raw = await get(key);
    return (await hidden(raw)) ? undefined : raw;
  };
  const getMany = adapter.getMany?.bind(adapter);
  if (getMany) adapter.getMany = async (keys) => Promise.all((await getMany(keys)).map(async (raw) => ((await hidden(raw)) ? undefined : raw)));
  // keyv asks the adapter's own `has` where there is one, else reads through `get` (guarded above).
  const present = async (key: string): Promise<boolean> => {
    const raw = await adapter.get(key);
    return raw !== undefined && raw !== null;
  };
  if (adapter.has) adapter.has = present;
  if (adapter.hasMany) adapter.hasMany = async (keys) => Promise.all(keys.map(present));
  const iterator = adapter.iterator?.bind(adapter);
  if (iterator) {
    adapter.iterator = async function* (namespace) {
      for await (const [key, raw] of iterator(namespace)) if (!(await hidden(raw))) yield [key, raw];
    };
    // keyv bound the adapter's iterator when it was handed the adapter.
    if (keyv.iterator) keyv.iterator = keyv.generateIterator(adapter.iterator.bind(adapter));
  }
  return keyv;
}
