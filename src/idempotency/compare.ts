// Pure matching of a stored resource against the create that made it; the rules are on compareSent.

/**
 * Says whether a value the create sent equals what the API stored for that field. Called only with
 * two non-null values (`null` ≡ absent is decided before); a comparator that throws means "differs".
 *
 * @default comparators.loose
 * @example
 * ```ts
 * const sku: FieldComparator = (sent, stored) => String(sent).toUpperCase() === String(stored).toUpperCase();
 * ```
 */
export type FieldComparator = (sent: unknown, stored: unknown) => boolean;

/**
 * Options of {@link compareSent}.
 *
 * @example
 * ```ts
 * const options: CompareOptions = { fields: { 'shipTo.name': comparators.caseInsensitive }, ignore: ['notes'] };
 * ```
 */
export interface CompareOptions {
  /**
   * Comparators by field path, overriding the default for that path. Paths are dotted, array
   * elements written `[]`: 'shipTo.email', 'products[].sku'. A comparator given for an object or
   * array path decides that whole subtree.
   * @default {} (every leaf by {@link comparators}.loose)
   */
  readonly fields?: Readonly<Record<string, FieldComparator>>;
  /** Paths not compared at all (same syntax; an ignored path skips its subtree). @default [] */
  readonly ignore?: readonly string[];
}

/**
 * The outcome of {@link compareSent}.
 *
 * @example
 * ```ts
 * const { equal, differences } = compareSent({ name: 'Ann' }, { name: 'Bob' }); // false, ['name']
 * ```
 */
export interface Comparison {
  /** Every compared field equal. @default true when nothing was compared */
  readonly equal: boolean;
  /** Concrete paths of the differing fields, e.g. ['shipTo.name', 'products[1].quantity']. @default [] */
  readonly differences: readonly string[];
}

/** Arrays longer than this are compared in order only (pairing compares every element with every other). */
const MAX_UNORDERED = 50;
const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

/**
 * Compares what a create sent with what the API stored, tolerating what APIs do to stored data:
 * - Only what was sent is compared: keys present only in `stored` (server fields, defaults) are ignored.
 * - `null` ≡ absent: a sent `null` equals a stored absent or `null`; a sent `undefined` (absent) is
 *   never compared; a sent non-null value against a stored absent or `null` differs.
 * - Objects compare key by key. Arrays must have equal lengths; elements compare in order first, and
 *   if that fails (arrays of up to 50) as a multiset: each sent element paired with a distinct stored
 *   one. When no full pairing exists, the sent elements left unpaired are compared, in index order,
 *   with the stored elements left unpaired, and their differences reported (e.g. 'products[1].quantity').
 *   Paths use the sent index; the root itself is written ''.
 * - Leaves use `fields[path]` when given, else {@link comparators}.loose: two strings as `text`, or as
 *   `email` when both look like one address (one '@', no spaces); a number and a numeric string as
 *   `number`; a boolean equals 'true'/'false' (trimmed, any case); anything else strict equality.
 * - A sent leaf against a stored object or array (or the reverse, or an object against an array) differs.
 * - Never throws and never mutates its inputs; an input it cannot walk (too deep) reports the root.
 *
 * @param options - per-field comparators and ignored paths. @default {}
 * @example
 * ```ts
 * compareSent({ shipTo: { email: 'Ann@X.com ' } }, { id: 7, shipTo: { email: 'ann@x.com', address2: null } });
 * // { equal: true, differences: [] }
 * ```
 */
export function compareSent(sent: unknown, stored: unknown, options: CompareOptions = {}): Comparison {
  const differences: string[] = [];
  try {
    const walk: Walk = { fields: options.fields ?? {}, ignore: new Set(options.ignore ?? []) };
    diff(sent, stored, '', '', walk, differences);
  } catch {
    return { equal: false, differences: [''] };
  }
  return { equal: differences.length === 0, differences };
}

interface Walk {
  readonly fields: Readonly<Record<string, FieldComparator>>;
  readonly ignore: ReadonlySet<string>;
}

type Differ<T> = (sent: T, stored: unknown, path: string, pattern: string, walk: Walk, out: string[]) => void;

const diff: Differ<unknown> = (sent, stored, path, pattern, walk, out) => {
  if (sent === undefined || walk.ignore.has(pattern)) return;
  if (sent === null || stored === undefined || stored === null) {
    if (sent !== null || (stored !== undefined && stored !== null)) out.push(path);
    return;
  }
  const comparator = Object.hasOwn(walk.fields, pattern) ? walk.fields[pattern] : undefined;
  if (comparator !== undefined) {
    if (!safely(comparator, sent, stored)) out.push(path);
  } else if (Array.isArray(sent)) {
    diffArray(sent, stored, path, pattern, walk, out);
  } else if (isRecord(sent)) {
    if (!isRecord(stored)) return void out.push(path);
    for (const key of Object.keys(sent)) {
      const child = Object.hasOwn(stored, key) ? stored[key] : undefined;
      diff(sent[key], child, join(path, key), join(pattern, key), walk, out);
    }
  } else if (typeof stored === 'object' || !loose(sent, stored)) {
    out.push(path);
  }
};

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

const diffArray: Differ<readonly unknown[]> = (sent, stored, path, pattern, walk, out) => {
  if (!Array.isArray(stored) || stored.length !== sent.length) return void out.push(path);
  const element = `${pattern}[]`;
  const inOrder: string[] = [];
  sent.forEach((item, i) => diff(item, stored[i], `${path}[${i}]`, element, walk, inOrder));
  if (inOrder.length === 0 || sent.length > MAX_UNORDERED) return void out.push(...inOrder);
  const owner = pairElements(sent.length, (i, j) => {
    const found: string[] = [];
    diff(sent[i], stored[j], '', element, walk, found);
    return found.length === 0;
  });
  const unpairedStored = owner.flatMap((i, j) => (i === undefined ? [j] : []));
  const unpairedSent = sent.flatMap((_, i) => (owner.includes(i) ? [] : [i]));
  // Equal lengths leave as many stored elements unpaired as sent ones; pair those in index order.
  unpairedSent.forEach((i, k) => diff(sent[i], stored[unpairedStored[k] ?? i], `${path}[${i}]`, element, walk, out));
};

/** A maximum pairing (Kuhn's augmenting paths): for each stored index, the sent index paired with it. */
function pairElements(count: number, pairable: (sent: number, stored: number) => boolean): Array<number | undefined> {
  const known: Array<boolean | undefined> = [];
  const owner = new Array<number | undefined>(count).fill(undefined);
  const assign = (i: number, seen: Set<number>): boolean => {
    for (let j = 0; j < count; j += 1) {
      if (seen.has(j) || !(known[i * count + j] ??= pairable(i, j))) continue;
      seen.add(j);
      const previous = owner[j];
      if (previous === undefined || assign(previous, seen)) {
        owner[j] = i;
        return true;
      }
    }
    return false;
  };
  for (let i = 0; i < count; i += 1) assign(i, new Set());
  return owner;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function safely(comparator: FieldComparator, sent: unknown, stored: unknown): boolean {
  try {
    return comparator(sent, stored) === true;
  } catch {
    return false; // a comparator that cannot decide is no proof of equality
  }
}

const text = (value: string): string => value.normalize('NFC').trim().replace(/\s+/g, ' ');
const lower = (value: string): string => value.toLowerCase().normalize('NFC');
const looksLikeEmail = (value: string): boolean => EMAIL.test(value.trim());
const sameEmail = (a: string, b: string): boolean => lower(a.trim()) === lower(b.trim());
const sameText = (a: string, b: string): boolean => text(a) === text(b);
const sameFolded = (a: string, b: string): boolean => lower(text(a)) === lower(text(b));
/** Both sides read as the same defined value. */
const same = <T>(a: T | undefined, b: T | undefined): boolean => a !== undefined && a === b;

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  return typeof value === 'string' && NUMERIC.test(value.trim()) ? Number(value.trim()) : undefined;
}

function asBoolean(value: unknown): boolean | undefined {
  const word = typeof value === 'string' ? value.trim().toLowerCase() : value;
  return word === true || word === 'true' ? true : word === false || word === 'false' ? false : undefined;
}

function loose(sent: unknown, stored: unknown): boolean {
  if (typeof sent === 'string' && typeof stored === 'string') {
    return looksLikeEmail(sent) && looksLikeEmail(stored) ? sameEmail(sent, stored) : sameText(sent, stored);
  }
  if (sent === null || sent === undefined || stored === null || stored === undefined) {
    return (sent ?? null) === (stored ?? null);
  }
  if (typeof sent === 'object' || typeof stored === 'object') return compareSent(sent, stored).equal;
  if (typeof sent === 'number' || typeof stored === 'number') return same(asNumber(sent), asNumber(stored));
  if (typeof sent === 'boolean' || typeof stored === 'boolean') return same(asBoolean(sent), asBoolean(stored));
  return sent === stored;
}

function exact(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => exact(item, b[i]));
  if (!isRecord(a) || !isRecord(b)) return false;
  const keys = Object.keys(a).filter((key) => a[key] !== undefined);
  const otherCount = Object.values(b).filter((value) => value !== undefined).length;
  return keys.length === otherCount && keys.every((key) => Object.hasOwn(b, key) && exact(a[key], b[key]));
}

const strings = (compare: (a: string, b: string) => boolean): FieldComparator => (sent, stored) =>
  typeof sent === 'string' && typeof stored === 'string' ? compare(sent, stored) : loose(sent, stored);

function number(sent: unknown, stored: unknown): boolean {
  const [a, b] = [asNumber(sent), asNumber(stored)];
  return a !== undefined && b !== undefined ? a === b : loose(sent, stored);
}

/**
 * Ready-made comparators to put in {@link CompareOptions}.fields. The string comparators compare
 * values that are not both strings by `loose`; `number` compares non-numeric values by `loose`.
 *
 * @default loose for every leaf without a declared comparator
 * @example
 * ```ts
 * const fields = { 'shipTo.name': comparators.caseInsensitive, 'products[].sku': comparators.exact };
 * compareSent(order, stored, { fields });
 * ```
 */
export const comparators = Object.freeze({
  /** Strict equality; objects and arrays structurally, as JSON (keys holding `undefined` are absent). */
  exact: exact as FieldComparator,
  /** Strings trimmed, Unicode NFC-normalized, inner whitespace runs collapsed to one space. */
  text: strings(sameText),
  /** As `text`, then case-folded (`toLowerCase`). */
  caseInsensitive: strings(sameFolded),
  /** Trimmed, NFC, case-insensitive (the local part too: APIs lowercase whole addresses). */
  email: strings(sameEmail),
  /** A number equals its numeric string: "2" ≡ 2, " 2.50 " ≡ 2.5 (and "2.50" ≡ "2.5"). */
  number: number as FieldComparator,
  /** The default for leaves: see {@link compareSent}. */
  loose: loose as FieldComparator,
});
