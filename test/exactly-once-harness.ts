/**
 * Shared set-up of the exactly-once tests: the fulfillment emulator on the caller's manual clock,
 * a surefetch client (idempotency → retry → whatever else) with the fulfillment recipe, a create
 * body the normalizing API rewrites, and counters over the server's own log and records.
 */
import {
  byRoute,
  createFetch,
  createManualClock,
  fulfillmentOrders,
  idempotency,
  memoryStore,
  retry,
  type CallOptions,
  type Clock,
  type CreateFetchOptions,
  type ExistenceRecipe,
  type FulfillmentRecipeOptions,
  type ManualClock,
  type Middleware,
  type RequestStore,
  type RetryOptions,
  type SureFetch,
  type SurefetchEvent,
} from '../src/index.js';
import { startFulfillment } from './emulator/index.js';
import type { FulfillmentEmulator, FulfillmentOptions, FulfillmentOrder } from './emulator/index.js';

export const CREATE = 'POST /v1/orders/create';
export const LIST = 'GET /v1/orders/list';
/** The recipient as the caller writes it: mixed case, spaces around. The API stores it lowercased and trimmed. */
export const EMAIL = ' Ada.Buyer@Example.COM ';
export const STORED_EMAIL = 'ada.buyer@example.com';
export const YESTERDAY = new Date(Date.now() - 86_400_000).toISOString();

const running: FulfillmentEmulator[] = [];

/** Closes every emulator started since the last call (an `afterEach`). */
export async function closeAll(): Promise<void> {
  await Promise.all(running.splice(0).map((api) => api.close()));
}

interface Started<C extends Clock> {
  readonly api: FulfillmentEmulator;
  readonly clock: C;
}

/**
 * A normalizing fulfillment emulator whose timestamps, list lag and rate windows run on `clock`
 * (a new manual clock by default).
 */
export async function startApi(options?: FulfillmentOptions): Promise<Started<ManualClock>>;
export async function startApi<C extends Clock>(options: FulfillmentOptions, clock: C): Promise<Started<C>>;
export async function startApi(options: FulfillmentOptions = {}, clock: Clock = createManualClock()): Promise<Started<Clock>> {
  const api = await startFulfillment({ storage: 'normalized', clock, ...options });
  running.push(api);
  return { api, clock };
}

/**
 * A create the normalizing API rewrites in every way it can: the email's case and spaces, trailing
 * spaces, a name with its accent as a combining mark (NFD), a number it stores as a string, and no
 * `address2` (stored as `null`).
 */
export function createBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    campaignId: 'cmp_1 ',
    shipTo: { name: 'Jose\u0301 Buyer ', email: EMAIL, address1: '1 Main St ', city: 'Springfield', zip: '12345', country: 'US' },
    products: [{ sku: 'SKU-1 ', quantity: 2 }],
    ...overrides,
  };
}

/** Options of {@link client}. */
export interface ClientOptions {
  readonly recipe?: FulfillmentRecipeOptions;
  /** Replaces the fulfillment recipe. */
  readonly recipes?: readonly ExistenceRecipe[];
  readonly retry?: RetryOptions;
  /** Middleware below retry (rateLimit, ...). */
  readonly below?: readonly Middleware[];
  readonly store?: RequestStore;
  readonly fetchOptions?: Omit<CreateFetchOptions, 'middleware' | 'clock' | 'onEvent'>;
  /** Also called with every event, as it is emitted. */
  readonly onEvent?: (event: SurefetchEvent) => void;
}

/** A surefetch client with the given clock, and the create call it makes to `api` (an emulator or another server). */
export function client(api: { readonly url: string; readonly apiKey: string }, clock: Clock, options: ClientOptions = {}) {
  const events: SurefetchEvent[] = [];
  const recipes = options.recipes ?? [fulfillmentOrders(options.recipe)];
  const sureFetch: SureFetch = createFetch({
    middleware: [
      idempotency({ store: options.store ?? memoryStore(), existenceCheck: byRoute(...recipes) }),
      retry({ baseDelayMs: 100, ...options.retry }),
      ...(options.below ?? []),
    ],
    clock,
    random: () => 0.5,
    attemptTimeoutMs: 300,
    ...options.fetchOptions,
    onEvent: (event) => {
      events.push(event);
      options.onEvent?.(event);
    },
  });
  const create = (surefetch: CallOptions = {}, body: Record<string, unknown> = createBody()): Promise<Response> =>
    sureFetch(`${api.url}/v1/orders/create`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      surefetch: { idempotencyScope: 'job-1:create-order', ...surefetch },
    });
  return { sureFetch, create, events };
}

/** The call's rejection, or a failure if it resolved. */
export async function rejection(call: Promise<Response>): Promise<unknown> {
  return call.then(
    (response) => new Error(`resolved with HTTP ${response.status}`),
    (error: unknown) => error,
  );
}

/** Creates the server received. */
export const posts = (api: FulfillmentEmulator): number =>
  api.requests.filter((request) => request.routeKey === CREATE).length;

/** List requests the server received, in order. */
export const listReads = (api: FulfillmentEmulator) => api.requests.filter((request) => request.routeKey === LIST);

/** Stored orders for the test's recipient. */
export const ordersFor = (api: FulfillmentEmulator): FulfillmentOrder[] =>
  api.records.orders.filter((order) => order.shipTo.email === STORED_EMAIL);

/** A stored order for the test's campaign and recipient, as the normalizing API stores it. */
export function storedOrder(id: string, createdAt: string, overrides: Partial<FulfillmentOrder> = {}): FulfillmentOrder {
  return {
    id,
    campaignId: 'cmp_1',
    shipTo: {
      name: 'José Buyer', email: STORED_EMAIL, address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US',
      address2: null,
    },
    products: [{ sku: 'SKU-1', quantity: '2', unitPrice: null }],
    status: 'pending',
    source: 'api',
    createdAt,
    updatedAt: createdAt,
    ...overrides,
  };
}

/** `count` legitimate earlier orders to the same recipient in the same campaign, created yesterday. */
export function pushEarlierOrders(api: FulfillmentEmulator, count: number): void {
  for (let index = 0; index < count; index += 1) api.records.orders.push(storedOrder(`old_${index}`, YESTERDAY));
}

/**
 * Settle reads of the existence check: requests for a list's first page (`page=1`, or no page).
 * One read takes more requests when the first page is short: the next page confirms the end.
 */
export const settleReads = (api: FulfillmentEmulator): number =>
  listReads(api).filter((request) => request.query.page === undefined || request.query.page === '1').length;

/** The `page` query of each list request, in order. */
export const pagesRead = (api: FulfillmentEmulator): string[] =>
  listReads(api).map((request) => request.query.page ?? '?');
