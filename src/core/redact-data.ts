import { REDACTED, isJsonSecretName, isSecretParamName, redactText, redactTruncatedText, redactUrl } from './redact.js';
import { decodeFormOrKeep } from './url-decode.js';

// A parsed error body is the server's text in another shape: it is walked, but not without end
// (a deep or huge body, a cycle a hook built): past these bounds a branch becomes REDACTED.
const MAX_DEPTH = 32;
const MAX_NODES = 20_000;

/**
 * The most text one walk of {@link redactData} redacts, in characters (UTF-16 units), strings
 * and keys together: redacting is synchronous, and a 20 MB error body held the event loop for
 * seconds. Past it a string is cut, and ends in {@link TRUNCATED}. @internal
 */
export const maxRedactedChars = 1024 * 1024;

/** What ends a string {@link redactData} cut at {@link maxRedactedChars}, or stands for one met past it. @internal */
export const TRUNCATED = '[truncated]';

/** What {@link redactData} does with an object that is not plain data. @internal */
export interface RedactDataOptions {
  /**
   * `'keep'` (the default) keeps it as it is: the caller's options hold signals, hooks, agents.
   * `'redact'` replaces it with `'[redacted]'` (a `Date` is kept): a server's parsed body in a
   * shape surefetch cannot copy (a class instance a custom parser built) may hold an echoed
   * secret it cannot see.
   */
  readonly others?: 'keep' | 'redact';
}

/**
 * An answer's body text cleaned of `secrets` (see `redactText`). A JSON body that no longer
 * parses once so cleaned (a number equal to a short secret: `"status":422` with a card code of
 * 422 reads `"status":[redacted]`) is cleaned value by value instead ({@link redactData}) and
 * written back compact, so that the server's message and details can still be read from it.
 * @internal
 *
 * @example
 * ```ts
 * redactBodyText('{"status":422,"message":"cvc 422 is wrong"}', ['422']); // '{"status":"[redacted]","message":"cvc [redacted] is wrong"}'
 * ```
 */
export function redactBodyText(text: string, secrets: readonly string[]): string {
  const clean = redactText(text, secrets);
  if (clean === text || parsesAsJson(clean)) return clean;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return clean;
  }
  // What redactText finds by name (`"password": "…"`) needs the key beside its value: the
  // compact text is cleaned once more, and if that breaks it after all, the text form stands.
  const named = redactText(JSON.stringify(redactData(parsed, secrets)), secrets);
  return parsesAsJson(named) ? named : clean;
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * A copy of `value` with every value of `secrets` (and `Bearer …`, `api_key=…`, `"password":
 * "…"`-style text, see `redactText`, and a string member so named) removed from its strings, for data a client parsed from a
 * server's answer (ofetch's `error.data`) or took from the caller (ky's `options.json`, query
 * parameters): strings, the keys and values of arrays and plain objects, and the entries of a
 * `Map` or a `Set` (copied into a new one) are redacted; a number equal to a secret becomes
 * `'[redacted]'`; other numbers, booleans, `null` and `undefined` are kept, and so is every
 * other object (a `Date`, an `AbortSignal`, a function) unless `others` is `'redact'`. Bounded, since it runs at once: 32 levels, 20,000 values
 * (past them, and for a cycle, a branch becomes `'[redacted]'`) and 1 Mi characters of text,
 * keys included (past them a string is cut and ends in `'[truncated]'`, so the entries of an
 * object after the cut become one `'[truncated]'` entry). Never throws: a value it cannot
 * walk (a throwing getter, a proxy) becomes `'[redacted]'`. @internal
 *
 * @example
 * ```ts
 * redactData({ error: 'bad key sk_live_1234567890', code: 7 }, ['sk_live_1234567890']);
 * // { error: 'bad key [redacted]', code: 7 }
 * ```
 */
export function redactData(value: unknown, secrets: readonly string[], { others = 'keep' }: RedactDataOptions = {}): unknown {
  const walk: Walk = { nodes: 0, chars: maxRedactedChars, open: new Set<object>(), others };
  try {
    return redactValue(value, secrets, 0, walk);
  } catch {
    return REDACTED;
  }
}

/**
 * A copy of the query parameters a client keeps in its options (ofetch's `query` and `params`,
 * ky's `searchParams`: a record, a `URLSearchParams`, name/value pairs or a query string), with
 * the value of every parameter named like a credential (see `isSecretParamName`: `api_key`,
 * `token`, ...) replaced by `'[redacted]'` whatever it is, and `secrets` removed from the rest
 * (see {@link redactData}). By name, because such a parameter may never have been sent (ofetch
 * does not apply `query` to a `Request`), so no sent URL names its value. Never throws. @internal
 *
 * @example
 * ```ts
 * redactParams({ api_key: 'k-123', page: 2 }, []); // { api_key: '[redacted]', page: 2 }
 * ```
 */
export function redactParams(value: unknown, secrets: readonly string[]): unknown {
  try {
    if (typeof value === 'string') return redactText(redactQuery(value), secrets);
    if (value instanceof URLSearchParams) return new URLSearchParams(redactText(redactQuery(value.toString()), secrets));
    const secretName = (name: unknown): boolean => typeof name === 'string' && isSecretParamName(decodeFormOrKeep(name));
    if (Array.isArray(value)) {
      return value.map((pair) => (Array.isArray(pair) && secretName(pair[0]) ? [redactData(pair[0], secrets), REDACTED] : redactData(pair, secrets)));
    }
    if (!isWalkable(value)) return redactData(value, secrets);
    const copy: Record<string, unknown> = {};
    for (const [name, entry] of Object.entries(value)) {
      const clean = secretName(name) ? REDACTED : redactData(entry, secrets);
      Object.defineProperty(copy, redactText(name, secrets), { value: clean, enumerable: true, writable: true, configurable: true });
    }
    return copy;
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
  // The characters of text left to redact.
  chars: number;
  // The objects on the path from the root: one met again is a cycle.
  readonly open: Set<object>;
  readonly others: 'keep' | 'redact';
}

/** A query string (`?` or not) with the values of credential-named parameters redacted. */
function redactQuery(query: string): string {
  const lead = query.startsWith('?') ? '' : '?';
  const clean = redactUrl(`${lead}${query}`);
  return lead === '' ? clean : clean.slice(1);
}

function redactString(text: string, secrets: readonly string[], walk: Walk): string {
  if (text.length <= walk.chars) {
    walk.chars -= text.length;
    return redactText(text, secrets);
  }
  const head = text.slice(0, walk.chars);
  walk.chars = 0;
  // The cut end may be the start of a secret whose rest is in the part left out.
  return (head === '' ? '' : redactTruncatedText(head, secrets)) + TRUNCATED;
}

function redactValue(value: unknown, secrets: readonly string[], depth: number, walk: Walk): unknown {
  walk.nodes += 1;
  if (typeof value === 'string') return redactString(value, secrets, walk);
  // A PIN or a card code echoed as a JSON number is the secret all the same.
  if (typeof value === 'number') return Number.isFinite(value) && secrets.includes(String(value)) ? REDACTED : value;
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return value;
  const collection = value instanceof Map || value instanceof Set;
  if (!collection && !isWalkable(value)) return walk.others === 'keep' || value instanceof Date ? value : REDACTED;
  if (depth >= MAX_DEPTH || walk.nodes > MAX_NODES || walk.open.has(value)) return REDACTED;
  walk.open.add(value);
  const next = (entry: unknown): unknown => redactValue(entry, secrets, depth + 1, walk);
  try {
    if (value instanceof Map) return new Map([...value].map(([key, entry]) => [next(key), next(entry)]));
    if (value instanceof Set) return new Set([...value].map(next));
    if (Array.isArray(value)) return value.map(next);
    const copy: object = Object.getPrototypeOf(value) === null ? (Object.create(null) as object) : {};
    for (const [name, entry] of Object.entries(value)) {
      // A key is the server's text too (`{ "<echoed token>": … }`); defined, not assigned, so a
      // parsed `"__proto__"` key stays a key.
      // A string under a credential's name goes by its name, as the body's text does: the
      // server may name a secret the request never carried (a refresh token it issued).
      const clean = typeof entry === 'string' && entry !== '' && isJsonSecretName(name) ? REDACTED : next(entry);
      const key = redactString(name, secrets, walk);
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
