/**
 * How the fulfillment emulator stores a create. `'exact'` keeps what was sent; `'normalized'`
 * rewrites it as many real APIs do (emails lowercased, strings trimmed and NFC-normalized,
 * defaults and server fields added, numbers as numeric strings), so a client that compares
 * what it sent with what a list returns has to tolerate the difference.
 */
import type { ContactInput, OrderInput } from './fulfillment-validation.js';
import type { FulfillmentContact, FulfillmentOrder, StoredShipTo } from './fulfillment-records.js';

/** How creates are stored: as sent, or normalized. */
export type FulfillmentStorage = 'exact' | 'normalized';

/** What the server decides about a new record. */
export interface ServerFields {
  readonly id: string;
  /** ISO 8601. */
  readonly createdAt: string;
}

/**
 * A string as a normalizing API stores it: Unicode NFC, surrounding white space trimmed.
 *
 * @example
 * ```ts
 * normalizeText(' Jose\u0301 '); // 'José' (one code point for é)
 * ```
 */
export function normalizeText(value: string): string {
  return value.normalize('NFC').trim();
}

/**
 * An email as a normalizing API stores it: {@link normalizeText}, then lower case.
 *
 * @example
 * ```ts
 * normalizeEmail(' Buyer-1@Example.com'); // 'buyer-1@example.com'
 * ```
 */
export function normalizeEmail(value: string): string {
  return normalizeText(value).toLowerCase();
}

/**
 * A create body as a normalizing API reads it before validating: every string, at any depth,
 * through {@link normalizeText} (so `' a@b.io'` is a valid email and `' '` an empty string).
 *
 * @example
 * ```ts
 * normalizeInput({ shipTo: { email: ' A@B.io ' }, quantity: 2 }); // { shipTo: { email: 'A@B.io' }, quantity: 2 }
 * ```
 */
export function normalizeInput(value: unknown): unknown {
  if (typeof value === 'string') return normalizeText(value);
  if (Array.isArray(value)) return value.map(normalizeInput);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([name, field]) => [name, normalizeInput(field)]));
}

/**
 * The order to store for a validated create `input`.
 *
 * @example
 * ```ts
 * storeOrder(input, { id: 'ord_000001', createdAt }, 'normalized').products[0]?.quantity; // '1'
 * ```
 */
export function storeOrder(input: OrderInput, server: ServerFields, storage: FulfillmentStorage): FulfillmentOrder {
  if (storage === 'exact') {
    return {
      id: server.id,
      campaignId: input.campaignId,
      shipTo: { ...input.shipTo },
      products: input.products.map((line) => ({ sku: line.sku, quantity: line.quantity })),
      ...(input.externalRef === undefined ? {} : { externalRef: input.externalRef }),
      status: 'pending',
      createdAt: server.createdAt,
    };
  }
  // The validated fields are strings and stay strings; extra fields are kept, normalized.
  const shipTo = normalizeFields(input.shipTo) as unknown as StoredShipTo;
  return {
    id: server.id,
    campaignId: normalizeText(input.campaignId),
    shipTo: { ...shipTo, email: normalizeEmail(input.shipTo.email), address2: shipTo.address2 ?? null },
    products: input.products.map((line) => {
      const extra = line as { unitPrice?: unknown };
      return { sku: normalizeText(line.sku), quantity: String(line.quantity), unitPrice: numericOrNull(extra.unitPrice) };
    }),
    ...(input.externalRef === undefined ? {} : { externalRef: normalizeText(input.externalRef) }),
    status: 'pending',
    source: 'api',
    createdAt: server.createdAt,
    updatedAt: server.createdAt,
  };
}

/**
 * The contact to store for a validated create `input`.
 *
 * @example
 * ```ts
 * storeContact({ email: 'A@B.io', name: 'A ' }, server, 'normalized'); // email 'a@b.io', name 'A'
 * ```
 */
export function storeContact(input: ContactInput, server: ServerFields, storage: FulfillmentStorage): FulfillmentContact {
  const normalized = storage === 'normalized';
  const ref = input.externalRef;
  const externalRef = ref !== undefined && normalized ? normalizeText(ref) : ref;
  return {
    id: server.id,
    email: normalized ? normalizeEmail(input.email) : input.email,
    name: normalized ? normalizeText(input.name) : input.name,
    ...(externalRef === undefined ? {} : { externalRef }),
    ...(normalized ? { source: 'api' as const } : {}),
    createdAt: server.createdAt,
    ...(normalized ? { updatedAt: server.createdAt } : {}),
  };
}

/** Every string field trimmed and NFC-normalized, every number as its numeric string. */
function normalizeFields(fields: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string') out[name] = normalizeText(value);
    else if (typeof value === 'number') out[name] = String(value);
    else out[name] = value;
  }
  return out;
}

function numericOrNull(value: unknown): string | null {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return normalizeText(value);
  return null;
}
