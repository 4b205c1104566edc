import { REDACTED, redactText } from '../core/redact.js';

// A parsed error body is the server's text in another shape: it is walked, but not without end
// (a deep or huge body, a cycle a hook built): past these bounds a branch becomes REDACTED.
const MAX_DEPTH = 32;
const MAX_NODES = 20_000;

/**
 * A copy of `value` with every value of `secrets` (and `Bearer …`, `api_key=…`, `"password":
 * "…"`-style text, see `redactText`) removed from its strings, for data a client parsed from a
 * server's answer (ofetch's `error.data`) or took from the caller (ky's `options.json`, query
 * parameters): strings, and the keys and values of arrays and plain objects, are redacted;
 * numbers, booleans, `null`, `undefined` and every other object (a `Date`, an `AbortSignal`, a
 * function) are kept as they are. Never throws: a value it cannot walk (a throwing getter, a
 * proxy) or one past its bounds (32 levels, 20,000 values, a cycle) becomes `'[redacted]'`.
 * @internal
 *
 * @example
 * ```ts
 * redactData({ error: 'bad key sk_live_1234567890', code: 7 }, ['sk_live_1234567890']);
 * // { error: 'bad key [redacted]', code: 7 }
 * ```
 */
export function redactData(value: unknown, secrets: readonly string[]): unknown {
  const walk = { nodes: 0, open: new Set<object>() };
  try {
    return redactValue(value, secrets, 0, walk);
  } catch {
    return REDACTED;
  }
}

/** Whether `value` is an array or an object literal: the shapes parsed JSON is made of. @internal */
export function isWalkable(value: unknown): value is Record<string, unknown> | unknown[] {
  if (Array.isArray(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

interface Walk {
  nodes: number;
  // The objects on the path from the root: one met again is a cycle.
  readonly open: Set<object>;
}

function redactValue(value: unknown, secrets: readonly string[], depth: number, walk: Walk): unknown {
  walk.nodes += 1;
  if (typeof value === 'string') return redactText(value, secrets);
  if (!isWalkable(value)) return value;
  if (depth >= MAX_DEPTH || walk.nodes > MAX_NODES || walk.open.has(value)) return REDACTED;
  walk.open.add(value);
  try {
    if (Array.isArray(value)) return value.map((entry) => redactValue(entry, secrets, depth + 1, walk));
    const copy: object = Object.getPrototypeOf(value) === null ? (Object.create(null) as object) : {};
    for (const [name, entry] of Object.entries(value)) {
      // A key is the server's text too (`{ "<echoed token>": … }`); defined, not assigned, so a
      // parsed `"__proto__"` key stays a key.
      const clean = redactValue(entry, secrets, depth + 1, walk);
      const key = redactText(name, secrets);
      Object.defineProperty(copy, key, { value: clean, enumerable: true, writable: true, configurable: true });
    }
    return copy;
  } catch {
    // A throwing getter or a proxy: this branch is not shown, the rest still is.
    return REDACTED;
  } finally {
    walk.open.delete(value);
  }
}
