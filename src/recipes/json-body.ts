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

/** Epoch ms of an ISO 8601 (or other `Date.parse`-able) time, `undefined` when unreadable. */
export function timeOf(value: unknown): number | undefined {
  const ms = typeof value === 'string' ? Date.parse(value) : typeof value === 'number' ? value : Number.NaN;
  return Number.isFinite(ms) ? ms : undefined;
}
