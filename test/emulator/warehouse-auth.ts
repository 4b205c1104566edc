/**
 * API-key authentication of the emulated warehouse API, answered in Django REST framework's
 * flat `{ "detail": ... }` shape rather than the API's error envelope.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { headerValue } from './http-io.js';
import type { Route } from './router.js';
import type { AuthResult } from './server.js';

/** An API key and the scopes it grants. */
export interface WarehouseKey {
  readonly key: string;
  readonly scopes: readonly string[];
}

/** Every scope the warehouse routes require. */
export const WAREHOUSE_SCOPES: readonly string[] = [
  'orders:read',
  'orders:write',
  'locations:write',
  'products:write',
  'inbound:write',
];

const JSON_TYPE = { 'Content-Type': 'application/json' };

/**
 * Authenticates `Authorization: Api-Key <key>` against `keys` and the scope of `route`.
 * An unknown route needs no credentials here: URL resolution fails first, as in Django.
 *
 * @example
 * ```ts
 * authenticateWarehouse({}, keys, route); // { ok: false, reply: 403 "not provided" }
 * ```
 */
export function authenticateWarehouse(
  headers: IncomingHttpHeaders,
  keys: ReadonlyMap<string, WarehouseKey>,
  route: Route | undefined,
): AuthResult {
  const match = /^Api-Key\s+(\S+)\s*$/.exec(headerValue(headers, 'authorization') ?? '');
  const presented = match?.[1];
  if (route === undefined) return { ok: true, key: presented !== undefined && keys.has(presented) ? presented : undefined };
  if (presented === undefined) return detail(403, 'Authentication credentials were not provided.');
  const known = keys.get(presented);
  if (!known) return { ok: false, reply: { status: 401, headers: { ...JSON_TYPE, 'WWW-Authenticate': 'Api-Key' }, body: { detail: 'Invalid API key.' } } };
  if (route.scope !== undefined && !known.scopes.includes(route.scope)) {
    return detail(403, 'You do not have permission to perform this action.');
  }
  return { ok: true, key: presented };
}

function detail(status: number, text: string): AuthResult {
  return { ok: false, reply: { status, headers: JSON_TYPE, body: { detail: text } } };
}
