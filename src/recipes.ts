import { ExistenceCheckError } from './existence-check-error.js';
import { lookupExistence, type LookupOptions, type OriginalCall } from './existence-check.js';
import type { ExistenceCheck } from './idempotency.js';
import { bodyReadLimit, readJson } from './response-body.js';
import { matchRoute } from './routes.js';
import type { RequestRecord } from './store/record.js';
import type { AttemptOutcome, CallContext, FetchFunction, ResendDecision } from './types.js';

/** An existence check for one route. */
export interface ExistenceRecipe {
  /** Method of the create. */
  readonly method: string;
  /** Path pattern of the create (`:name` for one segment, a trailing `*` for the rest). */
  readonly path: string;
  /** The check itself. */
  readonly check: ExistenceCheck;
}

/** Options shared by the ready-made recipes. */
export interface RecipeOptions {
  /** Path of the create, if the API is mounted elsewhere. */
  readonly path?: string;
  /**
   * How far before our first send a matching resource may have been created and still be ours
   * (the server's clock may be behind ours).
   * @default 30000
   */
  readonly clockSkewMs?: number;
  /** See {@link LookupOptions.settleDelaysMs}. */
  readonly settleDelaysMs?: readonly number[];
  /** The fetch lookups go through. @default globalThis.fetch */
  readonly fetch?: FetchFunction;
}

/**
 * Routes each call to the recipe of its route; a call with no recipe fails closed.
 *
 * @example
 * ```ts
 * idempotency({ store, existenceCheck: byRoute(fulfillmentOrders(), fulfillmentContacts(), warehouseOrders()) });
 * ```
 */
export function byRoute(...recipes: readonly ExistenceRecipe[]): ExistenceCheck {
  return async function existenceByRoute(ctx, previous, record): Promise<ResendDecision> {
    const url = new URL(ctx.request.url);
    const recipe = recipes.find((candidate) => matchRoute([candidate], ctx.request.method, url) !== undefined);
    if (recipe === undefined) {
      throw new ExistenceCheckError({ operation: ctx.operation, clientRequestId: ctx.clientRequestId, reason: 'no existence check is configured for this route' });
    }
    return recipe.check(ctx, previous, record);
  };
}

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json => (value !== null && typeof value === 'object' ? (value as Json) : {});
const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const same = (a: unknown, b: unknown): boolean => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Json).sort(([a], [b]) => a.localeCompare(b)).map(([key, inner]) => [key, canonical(inner)]));
  }
  return value;
}

function createdInWindow(candidate: Json, field: string, original: OriginalCall, clockSkewMs: number): boolean {
  const created = Date.parse(text(candidate[field]));
  if (Number.isNaN(created)) return false;
  return original.firstSentAt === undefined || created >= original.firstSentAt - clockSkewMs;
}

function lookupOptions(options: RecipeOptions): Pick<LookupOptions, 'settleDelaysMs' | 'fetch'> {
  return { ...(options.settleDelaysMs === undefined ? {} : { settleDelaysMs: options.settleDelaysMs }), ...(options.fetch === undefined ? {} : { fetch: options.fetch }) };
}

/** Follows `?page=N&pageSize=M` pagination of a list that answers a JSON array. */
function nextArrayPage(pageSize: number) {
  return (_body: unknown, current: URL, count: number): URL | undefined => {
    if (count < pageSize) return undefined;
    const next = new URL(current);
    next.searchParams.set('page', String(Number(current.searchParams.get('page') ?? '1') + 1));
    return next;
  };
}

// A fulfillment create found through its list endpoint (a JSON array, `page`/`pageSize`):
// by the `externalRef` the create carried, else by `sameResource` within the time window.
function fulfillmentListRecipe(
  path: string,
  options: RecipeOptions,
  filters: (sent: Json) => Record<string, string>,
  sameResource: (found: Json, sent: Json) => boolean,
): ExistenceRecipe {
  const { clockSkewMs = 30_000 } = options;
  const pageSize = 100;
  return {
    method: 'POST',
    path,
    check: lookupExistence({
      ...lookupOptions(options),
      lookupUrl: ({ url, body }) => new URL(`list?${new URLSearchParams({ ...filters(asObject(body)), page: '1', pageSize: String(pageSize) }).toString()}`, url),
      candidates: (body) => (Array.isArray(body) ? body : []),
      nextPage: nextArrayPage(pageSize),
      acceptFirstMatch: ({ body }) => text(asObject(body).externalRef) !== '',
      matches: (candidate, original) => {
        const found = asObject(candidate);
        const sent = asObject(original.body);
        if (text(sent.externalRef) !== '') return found.externalRef === sent.externalRef;
        return sameResource(found, sent) && createdInWindow(found, 'createdAt', original, clockSkewMs);
      },
    }),
  };
}

/**
 * Fulfillment API, `POST /v1/orders/create`: lists orders by `campaignId` and recipient email
 * (following pages) and takes the one whose `externalRef` is the create's, or, without one,
 * whose campaign, recipient and products all equal the create's and which was created after
 * our first send (minus `clockSkewMs`). Two such orders fail closed.
 *
 * @example
 * ```ts
 * idempotency({ store, existenceCheck: byRoute(fulfillmentOrders()) });
 * ```
 */
export function fulfillmentOrders(options: RecipeOptions = {}): ExistenceRecipe {
  return fulfillmentListRecipe(
    options.path ?? '/v1/orders/create',
    options,
    (sent) => ({ campaignId: text(sent.campaignId), email: text(asObject(sent.shipTo).email) }),
    (found, sent) => found.campaignId === sent.campaignId && same(found.shipTo, sent.shipTo) && same(found.products, sent.products),
  );
}

/**
 * Fulfillment API, `POST /v1/contacts/create`: lists contacts by email and takes the one with
 * the create's `externalRef`, or the same email and name created after our first send.
 *
 * @example
 * ```ts
 * idempotency({ store, existenceCheck: byRoute(fulfillmentOrders(), fulfillmentContacts()) });
 * ```
 */
export function fulfillmentContacts(options: RecipeOptions = {}): ExistenceRecipe {
  return fulfillmentListRecipe(
    options.path ?? '/v1/contacts/create',
    options,
    (sent) => ({ email: text(sent.email) }),
    (found, sent) => text(found.email).toLowerCase() === text(sent.email).toLowerCase() && found.name === sent.name,
  );
}

/**
 * Warehouse API, `POST /api/v1/orders/`: `order_number` is unique, so the API itself says
 * whether the order exists. Before a re-send the order is read by its number; a 409 DUPLICATE
 * answered to a re-send means the earlier attempt landed, so the order is read and returned as
 * the call's result.
 *
 * @example
 * ```ts
 * idempotency({ store, existenceCheck: byRoute(warehouseOrders()) });
 * ```
 */
export function warehouseOrders(options: RecipeOptions = {}): ExistenceRecipe {
  const { path = '/api/v1/orders/' } = options;
  const orderUrl = ({ url, body }: OriginalCall): URL => new URL(`${encodeURIComponent(text(asObject(body).order_number))}/`, url);
  const lookup = lookupExistence({
    ...lookupOptions(options),
    // The read by key is authoritative (no list lag); one read after the settle delays' first.
    settleDelaysMs: options.settleDelaysMs ?? [0],
    lookupUrl: orderUrl,
    acceptFirstMatch: () => true,
    candidates: (body) => [asObject(body).data],
    matches: (candidate, original) => asObject(candidate).order_number === asObject(original.body).order_number,
    toResponse: (candidate) => Response.json({ success: true, data: candidate }, { status: 201, headers: { 'x-surefetch-recovered': 'lookup' } }),
  });
  return {
    method: 'POST',
    path,
    check: async (ctx, previous, record) => {
      const decision = await lookup(ctx, previous, record);
      if (decision.action === 'recovered') return decision;
      return { action: 'resend', reconcile: (response, rctx) => recoverDuplicate(response, rctx, lookup, previous, record) };
    },
  };
}

async function recoverDuplicate(
  response: Response,
  ctx: CallContext,
  lookup: ExistenceCheck,
  previous: AttemptOutcome,
  record: RequestRecord | undefined,
): Promise<Response | undefined> {
  if (response.status !== 409) return undefined;
  const code = asObject(asObject(await readJson(response.clone(), bodyReadLimit(ctx)).catch(() => ({}))).error).code;
  if (code !== 'DUPLICATE') return undefined;
  const decision = await lookup(ctx, previous, record);
  if (decision.action === 'recovered') return decision.response;
  throw new ExistenceCheckError({ operation: ctx.operation, clientRequestId: ctx.clientRequestId, reason: 'the re-send answered 409 DUPLICATE but the order cannot be read' });
}
