import type { RequestSpec } from '../core/types.js';

/** A JSON object, loosely typed for reading API answers. */
export type Json = Record<string, unknown>;

/** `value` when it is a non-array object, else `{}`. */
export const asObject = (value: unknown): Json => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});

/** `value` when it is a string, else `''`. */
export const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The request's body parsed as a JSON object, `undefined` when it is not one. */
export function jsonBodyOf(request: RequestSpec): Json | undefined {
  if (!(request.body instanceof Uint8Array)) return undefined;
  try {
    const parsed = JSON.parse(new TextDecoder().decode(request.body)) as unknown;
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Json) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The request with `field` set to `value` in its JSON body, unless the body already has it (or
 * is not a JSON object). A length the caller set no longer holds, so it is dropped.
 */
export function withBodyField(request: RequestSpec, field: string, value: string): RequestSpec {
  const body = jsonBodyOf(request);
  if (body === undefined || (body[field] !== undefined && body[field] !== null && body[field] !== '')) return request;
  const headers = new Headers(request.headers);
  headers.delete('content-length');
  return { ...request, headers, body: new TextEncoder().encode(JSON.stringify({ ...body, [field]: value })) };
}

/**
 * Epoch ms of a stored creation time, `undefined` when it cannot be read for sure. A string must
 * name its time of day and its zone (ISO 8601 with `Z` or an offset, an HTTP date): a date alone,
 * or a time without a zone (read in this process's zone by `Date.parse`), could put the caller's
 * own create hours before its first send, and a create judged older than its call is taken for
 * someone else's. A number is epoch ms, or epoch seconds when below 1e11 (before 1973 as ms).
 */
export function timeOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? (Math.abs(value) < 1e11 ? value * 1000 : value) : undefined;
  if (typeof value !== 'string' || !TIME_OF_DAY.test(value) || !ZONE.test(value.trim())) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

const TIME_OF_DAY = /\d{1,2}:\d{2}/;
const ZONE = /(?:z|[+-]\d{2}(?::?\d{2})?|\bgmt|\butc|\but)$/i;
