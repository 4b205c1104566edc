import type { FieldDetail } from './error-body.js';
import { cleanMessage, truncate } from './html-summary.js';

/** At most this many details are kept, so a huge validation report stays a small error. */
export const MAX_DETAILS = 100;
const MAX_DEPTH = 6;
// A prefix is a field path only if it has no spaces, so "SKU not found: X" stays a message.
const FIELD_PATH = /^[A-Za-z_$][\w$.[\]-]*$/;
const FIELD_KEYS = ['field', 'name', 'param', 'path', 'pointer', 'loc', 'property', 'attribute', 'key'];
const MESSAGE_KEYS = ['message', 'msg', 'detail', 'reason', 'title', 'description', 'error'];
const NON_FIELD_KEYS = new Set(['non_field_errors', '__all__']);

/**
 * Splits a validator message such as `shipTo.email: Invalid email` into field and message. A
 * string without `": "`, or whose prefix does not look like a field path, has field `''`.
 *
 * @example
 * ```ts
 * splitFieldMessage('shipTo.zip: Required'); // { field: 'shipTo.zip', message: 'Required' }
 * ```
 */
export function splitFieldMessage(text: string): FieldDetail {
  const at = text.indexOf(': ');
  const field = at < 0 ? '' : text.slice(0, at).trim();
  if (!FIELD_PATH.test(field)) return { field: '', message: text };
  return { field, message: text.slice(at + 2) };
}

/**
 * Normalizes the field errors of any common shape: an array of strings (`"field: message"`),
 * an array of objects (`{field, message}`, `{name, reason}` from RFC 9457's `invalid-params`,
 * `{pointer, detail}`, `{loc: [...], msg}`), or a field dictionary as Django REST framework
 * sends it (`{"email": ["Enter a valid email."], "non_field_errors": [...]}`, nested for
 * nested serializers). Unknown shapes yield no details.
 *
 * @param strict - remove all tag-like text from messages (for bodies served as HTML)
 * @example
 * ```ts
 * normalizeDetails({ email: ['Enter a valid email.'] });
 * // [{ field: 'email', message: 'Enter a valid email.' }]
 * ```
 */
export function normalizeDetails(value: unknown, strict = false): FieldDetail[] {
  const details: FieldDetail[] = [];
  collect(value, '', 0, details, strict);
  return details;
}

/**
 * Whether a JSON object is a Django REST framework field-error dictionary: every value is a
 * list of strings or a nested dictionary of such lists.
 *
 * @example
 * ```ts
 * isFieldErrorDictionary({ email: ['Enter a valid email.'] }); // true
 * ```
 */
export function isFieldErrorDictionary(value: unknown, depth = 0): boolean {
  if (!isRecord(value) || depth > MAX_DEPTH) return false;
  const isMessageList = (entry: unknown): boolean =>
    Array.isArray(entry) &&
    entry.length > 0 &&
    entry.every((item) => typeof item === 'string' || isFieldErrorDictionary(item, depth + 1));
  const entries = Object.values(value);
  return entries.length > 0 && entries.every((entry) => isMessageList(entry) || isFieldErrorDictionary(entry, depth + 1));
}

/**
 * Whether a value is a plain JSON object.
 *
 * @example
 * ```ts
 * isRecord({}); // true
 * isRecord([]); // false
 * ```
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function collect(value: unknown, prefix: string, depth: number, out: FieldDetail[], strict: boolean): void {
  if (depth > MAX_DEPTH || out.length >= MAX_DETAILS) return;
  if (typeof value === 'string') {
    const detail = prefix === '' ? splitFieldMessage(value) : { field: prefix, message: value };
    push(out, detail.field, detail.message, strict);
  } else if (Array.isArray(value)) {
    for (const item of value) collect(item, prefix, depth + 1, out, strict);
  } else if (isRecord(value)) {
    const message = firstString(value, MESSAGE_KEYS);
    if (message !== undefined) {
      const field = fieldOf(value);
      push(out, field === '' ? prefix : joinPath(prefix, field), message, strict);
      return;
    }
    for (const [key, entry] of Object.entries(value)) {
      collect(entry, NON_FIELD_KEYS.has(key) ? prefix : joinPath(prefix, key), depth + 1, out, strict);
    }
  }
}

function push(out: FieldDetail[], field: string, message: string, strict: boolean): void {
  const text = cleanMessage(message, strict);
  if (text === '' || out.length >= MAX_DETAILS) return;
  out.push({ field: truncate(cleanMessage(field, strict), 200), message: text });
}

function fieldOf(record: Record<string, unknown>): string {
  for (const key of FIELD_KEYS) {
    const value = record[key];
    if (typeof value === 'string' && value !== '') return fromPointer(value);
    if (Array.isArray(value) && value.length > 0 && value.every((part) => typeof part === 'string' || typeof part === 'number')) {
      return value.join('.');
    }
  }
  return '';
}

function firstString(record: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = record[key];
    if (typeof value === 'string' && value.trim() !== '') return value;
  }
  return undefined;
}

// RFC 9457's example reports a field as a JSON Pointer (`#/shipTo/email`); people read paths.
function fromPointer(value: string): string {
  if (!/^#?\//.test(value)) return value;
  return value
    .replace(/^#?\//, '')
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

function joinPath(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}.${key}`;
}
