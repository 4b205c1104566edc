/**
 * The value kept under `key` in `memo`, made by `make(key, arg)` on a miss. A memo that is full
 * (`maxEntries`) is emptied before the new entry goes in: a bound, not an LRU, for memos on the
 * path of every call whose keys are few and come back at once (endpoints, credentials).
 * `make` and `arg` are separate so that a hit builds no closure.
 *
 * @example
 * ```ts
 * const hash = memoized(hashes, secret, 256, (text) => sha256Hex(text), undefined);
 * ```
 */
export function memoized<K, V, A>(memo: Map<K, V>, key: K, maxEntries: number, make: (key: K, arg: A) => V, arg: A): V {
  let value = memo.get(key);
  if (value === undefined) {
    if (memo.size >= maxEntries) memo.clear();
    value = make(key, arg);
    memo.set(key, value);
  }
  return value;
}
