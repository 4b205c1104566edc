import { comparators, type CompareOptions } from '../idempotency/compare.js';
import type { OriginalCall } from '../idempotency/candidate.js';
import { lookupExistence } from '../idempotency/lookup-existence.js';
import { pageNumberPaging } from '../idempotency/paging.js';
import type { ExistenceRecipe } from './by-route.js';
import { asObject, jsonBodyOf, text, timeOf, withBodyField, type Json } from './json-body.js';

/** Options shared by the ready-made recipes. */
export interface RecipeOptions {
  /** Path of the create, if the API is mounted elsewhere. */
  readonly path?: string;
  /**
   * How far before our first send a matching resource may have been created and still be ours
   * (the server's clock may be behind ours). Also how long a call's identifying keys stay held
   * after it ends.
   * @default 30000
   */
  readonly clockSkewMs?: number;
  /** See `LookupOptions.settleDelaysMs`. */
  readonly settleDelaysMs?: readonly number[];
  /** See `LookupOptions.requestLifetimeMs`. @default fulfillment: twice the timeout of the send; warehouse: 0 (the API refuses a duplicate) */
  readonly requestLifetimeMs?: number;
  /**
   * Per-field comparators and ignored paths, on top of the recipe's (see `compareSent`); e.g.
   * `{ fields: { 'shipTo.zip': (sent, stored) => String(sent).slice(0, 5) === String(stored).slice(0, 5) } }`.
   * @default {}
   */
  readonly compare?: CompareOptions;
}

/** Options of the fulfillment recipes. */
export interface FulfillmentRecipeOptions extends RecipeOptions {
  /**
   * Write the client request id into the create's `externalRef` when the caller left it
   * empty, so that a lookup finds the resource by it at the first read. The API then stores
   * and lists that id; leave it off if `externalRef` means something else to you.
   * @default false
   */
  readonly writeReference?: boolean;
  /**
   * Every create with these identifying keys (campaign and recipient; for contacts, email) goes
   * through surefetch with this same store: then a call that held its keys alone in the store
   * from before its first send accepts a match at the first read that shows it, instead of
   * reading for the whole settle window. Leave it off when other systems create such resources
   * too: a resource of theirs created in the window could be taken for this call's.
   * @default false
   */
  readonly soleWriter?: boolean;
  /** Page size asked of the list endpoint (the API may serve fewer; paging follows what it serves). @default 100 */
  readonly pageSize?: number;
  /**
   * The most orders the API serves per page, if you know it: a shorter page then ends the list
   * without a confirming read of the next page. See `PageNumberPagingOptions.maxServed`.
   * @default unknown (a short first page is confirmed by reading the next)
   */
  readonly maxPageSize?: number;
}

const sentReference = ({ body }: OriginalCall): string | undefined => text(asObject(body).externalRef) || undefined;

// A fulfillment create found through its list endpoint (a JSON array paged by `page`/`pageSize`):
// by the `externalRef` it carries, else by its identifying keys, window and sent fields.
function fulfillmentListRecipe(
  path: string,
  options: FulfillmentRecipeOptions,
  keys: { filters: (sent: Json) => Record<string, string>; identifies: (found: Json, sent: Json) => boolean; required: readonly string[] },
): ExistenceRecipe {
  const { clockSkewMs = 30_000, pageSize = 100, writeReference = false, soleWriter = false } = options;
  const identity = (sent: Json | undefined): string | undefined => {
    const filters = sent === undefined ? undefined : Object.values(keys.filters(sent));
    return filters === undefined || filters.every((value) => value === '') ? undefined : filters.map((value) => value.trim().toLowerCase()).join(' ');
  };
  const check = lookupExistence({
    ...(options.settleDelaysMs === undefined ? {} : { settleDelaysMs: options.settleDelaysMs }),
    ...(options.requestLifetimeMs === undefined ? {} : { requestLifetimeMs: options.requestLifetimeMs }),
    lookupUrl: ({ url, body }) =>
      new URL(`list?${new URLSearchParams({ ...keys.filters(asObject(body)), page: '1', pageSize: String(pageSize) }).toString()}`, url),
    candidates: (body) => (Array.isArray(body) ? body : undefined),
    paging: pageNumberPaging({ pageSize, ...(options.maxPageSize === undefined ? {} : { maxServed: options.maxPageSize }) }),
    requiredFields: ['id', 'createdAt', ...keys.required],
    identifies: (candidate, original) => keys.identifies(asObject(candidate), asObject(original.body)),
    compareOptions: { ...options.compare, ignore: ['externalRef', ...(options.compare?.ignore ?? [])] },
    createdAt: (candidate) => timeOf(asObject(candidate).createdAt),
    clockSkewMs,
    reference: { of: sentReference, in: (candidate) => asObject(candidate).externalRef },
  });
  return {
    method: 'POST',
    path,
    check: Object.assign(check, {
      resourceOf: (body: unknown) => {
        const id = asObject(body).id;
        return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
      },
      ...(soleWriter ? { identity: { of: (request: Parameters<typeof jsonBodyOf>[0]) => identity(jsonBodyOf(request)), holdMs: clockSkewMs } } : {}),
      ...(writeReference ? { prepare: (request: Parameters<typeof jsonBodyOf>[0], id: string) => withBodyField(request, 'externalRef', id) } : {}),
    }),
  };
}

/**
 * Fulfillment API, `POST /v1/orders/create`: lists orders by `campaignId` and recipient email
 * (following every page the API serves) and takes the one whose `externalRef` is the create's,
 * or else the one with the same campaign and recipient, created after our first send (minus
 * `clockSkewMs`), whose sent fields all equal what the API stored — tolerantly: emails
 * case-insensitive, strings trimmed and Unicode-normalized, `null` ≡ absent, `2` ≡ `"2"`,
 * fields the API added ignored. One with the same campaign and recipient in the window that
 * differs otherwise is a near match: the call fails closed and the error names the fields.
 *
 * @example
 * ```ts
 * idempotency({ store, existenceCheck: byRoute(fulfillmentOrders({ writeReference: true })) });
 * idempotency({ store, existenceCheck: byRoute(fulfillmentOrders({ soleWriter: true })) }); // every such create goes through surefetch
 * ```
 */
export function fulfillmentOrders(options: FulfillmentRecipeOptions = {}): ExistenceRecipe {
  return fulfillmentListRecipe(options.path ?? '/v1/orders/create', options, {
    filters: (sent) => ({ campaignId: text(sent.campaignId), email: text(asObject(sent.shipTo).email) }),
    identifies: (found, sent) =>
      comparators.text(sent.campaignId, found.campaignId) && comparators.email(asObject(sent.shipTo).email, asObject(found.shipTo).email),
    required: ['campaignId', 'shipTo.email'],
  });
}

/**
 * Fulfillment API, `POST /v1/contacts/create`: lists contacts by email and takes the one with
 * the create's `externalRef`, or else the same email (any case) created after our first send
 * whose other sent fields (the name) equal the stored ones.
 *
 * @example
 * ```ts
 * idempotency({ store, existenceCheck: byRoute(fulfillmentOrders(), fulfillmentContacts()) });
 * ```
 */
export function fulfillmentContacts(options: FulfillmentRecipeOptions = {}): ExistenceRecipe {
  return fulfillmentListRecipe(options.path ?? '/v1/contacts/create', options, {
    filters: (sent) => ({ email: text(sent.email) }),
    identifies: (found, sent) => comparators.email(sent.email, found.email),
    required: ['email'],
  });
}
