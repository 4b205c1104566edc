/**
 * Code samples of the guide "An existence check for your own API"
 * (docs/guides/existence-check.md). Type-checked with the project, not run; the runnable
 * version is examples/own-api-lookup.ts.
 */
import { byRoute, comparators, idempotency, linkPaging, lookupExistence, memoryStore, pageNumberPaging } from 'surefetch';

interface Invoice {
  readonly id: string;
  readonly customer: string;
  readonly amount: number;
  readonly created: number;
  readonly metadata?: { readonly ref?: string };
}

// #region by-key
// A resource with a key you choose (an order number the API enforces as unique): read it by key.
export const byKey = lookupExistence({
  lookupUrl: ({ url, body }) => new URL(`/v1/shipments/${encodeURIComponent((body as { number: string }).number)}`, url),
  candidates: (body) => (typeof body === 'object' && body !== null && !Array.isArray(body) ? [body] : undefined),
  notFoundIsEmpty: true, // a 404 to the read means "not there" (and only for this get by key)
  acceptFirstMatch: () => true, // the key is unique: a match is final at the first read
});
// #endregion by-key

// #region reference
// A reference you send in the create and the API lists back: a candidate carrying it is yours at once.
export const byReference = lookupExistence({
  lookupUrl: ({ url, body }) => new URL(`/v2/invoices?customer=${encodeURIComponent((body as Invoice).customer)}`, url),
  candidates: (body) => (Array.isArray(body) ? body : undefined),
  paging: linkPaging(),
  reference: { of: ({ body }) => (body as Invoice).metadata?.ref, in: (found) => (found as Invoice).metadata?.ref },
  identifies: (found, { body }) => comparators.text((body as Invoice).customer, (found as Invoice).customer),
  createdAt: (found) => (found as Invoice).created * 1000,
});
// #endregion reference

// #region compare
// The API stores amounts in cents as strings and adds a `notes` field you never send.
export const tolerant = lookupExistence({
  lookupUrl: ({ url, body }) => new URL(`/v2/invoices?customer=${encodeURIComponent((body as Invoice).customer)}`, url),
  candidates: (body) => (Array.isArray(body) ? body : undefined),
  paging: pageNumberPaging({ pageSize: 100, pageParam: 'page', sizeParam: 'per_page' }),
  requiredFields: ['id', 'customer', 'created'],
  identifies: (found, { body }) => comparators.text((body as Invoice).customer, (found as Invoice).customer),
  createdAt: (found) => (found as Invoice).created * 1000,
  compareOptions: {
    fields: { amount: (sent, stored) => Math.round(Number(sent) * 100) === Number(stored) },
    ignore: ['metadata.internal'],
  },
});
// #endregion compare

// #region wire
export const layer = idempotency({
  store: memoryStore(), // redisStore / postgresStore when re-runs may land in another process
  existenceCheck: byRoute(
    { method: 'POST', path: '/v2/invoices', check: tolerant },
    { method: 'POST', path: '/v1/shipments', check: byKey },
  ),
});
// #endregion wire
