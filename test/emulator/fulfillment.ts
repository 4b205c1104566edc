/**
 * The emulated fulfillment API: bearer keys of 96 characters, `{ message }` errors, a
 * plain-text 401, 500s whose wording varies, and creates without any idempotency key.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { mulberry32, randomToken } from './fault.js';
import type { FulfillmentRecords } from './fulfillment-records.js';
import { validateContact, validateOrder, type ContactInput, type OrderInput } from './fulfillment-validation.js';
import { headerValue } from './http-io.js';
import { listReply, type ListOptions, type ListShape, type PageSignal } from './list-shape.js';
import { normalizeEmail, normalizeInput, normalizeText, storeContact, storeOrder } from './normalize.js';
import type { FulfillmentStorage } from './normalize.js';
import type { Route, RouteContext } from './router.js';
import { startEmulator, type AuthResult } from './server.js';
import type { Emulator, EmulatorOptions, Reply } from './types.js';

export type { ShipTo, ProductLine } from './fulfillment-validation.js';
export type {
  FulfillmentContact,
  FulfillmentOrder,
  FulfillmentRecords,
  StoredProductLine,
  StoredShipTo,
} from './fulfillment-records.js';
export type { FulfillmentStorage } from './normalize.js';
export type { ListShape, PageSignal } from './list-shape.js';

/** Options of {@link startFulfillment}. */
export interface FulfillmentOptions extends EmulatorOptions {
  /** More valid keys besides the generated one (each must be 96 characters to pass). */
  readonly apiKeys?: readonly string[];
  /**
   * How creates are stored, and so what the create's 201 and the list and get endpoints show.
   * `'normalized'` stores them as many real APIs do: emails trimmed and lowercased, every string
   * trimmed and NFC-normalized, `shipTo.address2: null` and `products[].unitPrice: null` added
   * when absent, numbers as numeric strings (`quantity: "2"`), and the server fields
   * `source: 'api'` and `updatedAt`. List filters are normalized the same way.
   * @default 'exact'
   */
  readonly storage?: FulfillmentStorage;
  /** List endpoints never serve more than this per page, whatever `pageSize` asks. @default 100 */
  readonly maxPageSize?: number;
  /**
   * `'link'` adds `Link: <absolute next-page URL>; rel="next"` (RFC 8288; every other query
   * parameter kept) when a later page has items, and `X-Total-Count` to every list answer.
   * @default 'none'
   */
  readonly pageSignal?: PageSignal;
  /**
   * The body of list answers: `'array'` (the items), `'envelope'`
   * (`{ data, meta: { page, pageSize, total }, next: absolute URL | null }`), or `'error-200'`
   * (status 200 with `{ success: false, error: { code: 'SERVICE_ERROR', message } }`; creates
   * still work).
   * @default 'array'
   */
  readonly listShape?: ListShape;
}

/** The resolved shape options of one emulator. */
interface Shape {
  readonly storage: FulfillmentStorage;
  readonly list: ListOptions;
}

/** A running fulfillment emulator. */
export type FulfillmentEmulator = Emulator<FulfillmentRecords>;

interface IdCounters {
  orders: number;
  contacts: number;
}

const JSON_TYPE = { 'Content-Type': 'application/json; charset=utf-8' };
const SERVER_ERROR_MESSAGES = ['Internal server error', 'Internal Server Error', 'Request failed'];

/**
 * Starts the fulfillment emulator on 127.0.0.1 with a free port.
 *
 * @example
 * ```ts
 * const api = await startFulfillment({ listLagMs: 200, storage: 'normalized', maxPageSize: 50 });
 * await fetch(`${api.url}/v1/orders/list`, { headers: { Authorization: `Bearer ${api.apiKey}` } });
 * await api.close();
 * ```
 */
export function startFulfillment(options: FulfillmentOptions = {}): Promise<FulfillmentEmulator> {
  const maxPageSize = options.maxPageSize ?? 100;
  if (!Number.isInteger(maxPageSize) || maxPageSize < 1) {
    return Promise.reject(new RangeError(`maxPageSize must be a positive integer, got ${maxPageSize}`));
  }
  const shape: Shape = {
    storage: options.storage ?? 'exact',
    list: { maxPageSize, pageSignal: options.pageSignal ?? 'none', listShape: options.listShape ?? 'array' },
  };
  const apiKey = randomToken(mulberry32(options.seed ?? 1), 96);
  const keys = new Set([apiKey, ...(options.apiKeys ?? [])]);
  const records: FulfillmentRecords = { orders: [], contacts: [] };
  const counters = { serverErrors: 0, orders: 0, contacts: 0 };
  return startEmulator(
    {
      records,
      apiKey,
      routes: fulfillmentRoutes(records, counters, shape),
      authenticate: (headers) => authenticate(headers, keys),
      notFound: () => message(404, 'Not found'),
      serverError: () => message(500, SERVER_ERROR_MESSAGES[counters.serverErrors++ % SERVER_ERROR_MESSAGES.length] ?? 'Request failed'),
      malformedJson: () => message(400, 'Malformed JSON'),
      tooManyRequests: () => message(429, 'Too many requests, please try again later.'),
    },
    options,
  );
}

function authenticate(headers: IncomingHttpHeaders, keys: ReadonlySet<string>): AuthResult {
  const match = /^Bearer (\S*)$/.exec(headerValue(headers, 'authorization') ?? '');
  const key = match?.[1] ?? '';
  if (key.length === 96 && keys.has(key)) return { ok: true, key };
  // The auth layer answers before any route handler, so not in the JSON error format.
  return { ok: false, reply: { status: 401, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: 'Unauthorized' } };
}

function fulfillmentRoutes(records: FulfillmentRecords, counters: IdCounters, shape: Shape): Route[] {
  return [
    { method: 'POST', pattern: '/v1/orders/create', handle: (context) => createOrder(context, records, counters, shape) },
    { method: 'GET', pattern: '/v1/orders/list', handle: (context) => listOrders(context, records, shape) },
    { method: 'POST', pattern: '/v1/orders/cancel', handle: (context) => cancelOrder(context, records) },
    { method: 'GET', pattern: '/v1/orders/:id', handle: (context) => getOrder(context, records) },
    { method: 'POST', pattern: '/v1/contacts/create', handle: (context) => createContact(context, records, counters, shape) },
    { method: 'GET', pattern: '/v1/contacts/list', handle: (context) => listContacts(context, records, shape) },
  ];
}

function createOrder(context: RouteContext, records: FulfillmentRecords, counters: IdCounters, shape: Shape): Reply {
  const body = bodyOf(context, shape);
  const errors = validateOrder(body);
  if (errors.length > 0) return { status: 400, headers: JSON_TYPE, body: { message: 'Invalid request body', errors } };
  const server = { id: serial('ord', (counters.orders += 1)), createdAt: new Date(context.now()).toISOString() };
  const order = storeOrder(body as OrderInput, server, shape.storage);
  return { status: 201, headers: JSON_TYPE, body: context.commit(records.orders, order) };
}

function listOrders(context: RouteContext, records: FulfillmentRecords, shape: Shape): Reply {
  const campaignId = queryText(context, 'campaignId', shape);
  const email = queryEmail(context, shape);
  const matches = context
    .visible(records.orders)
    .filter((order) => campaignId === null || order.campaignId === campaignId)
    .filter((order) => email === undefined || order.shipTo.email.toLowerCase() === email);
  return listReply(context, matches, shape.list);
}

function getOrder(context: RouteContext, records: FulfillmentRecords): Reply {
  const order = records.orders.find((candidate) => candidate.id === context.params.id);
  return order ? { status: 200, headers: JSON_TYPE, body: order } : message(404, 'Order not found');
}

function cancelOrder(context: RouteContext, records: FulfillmentRecords): Reply {
  const orderId = (context.body as { orderId?: unknown } | undefined)?.orderId;
  if (typeof orderId !== 'string' || orderId === '') {
    return { status: 400, headers: JSON_TYPE, body: { message: 'Invalid request body', errors: ['orderId: Required'] } };
  }
  const order = records.orders.find((candidate) => candidate.id === orderId);
  if (!order) return message(404, 'Order not found');
  if (order.status !== 'pending') return message(400, 'Order already shipped');
  order.status = 'cancelled';
  return { status: 201, headers: JSON_TYPE, body: { message: 'Order cancelled', order } };
}

function createContact(context: RouteContext, records: FulfillmentRecords, counters: IdCounters, shape: Shape): Reply {
  const body = bodyOf(context, shape);
  const errors = validateContact(body);
  if (errors.length > 0) return { status: 400, headers: JSON_TYPE, body: { message: 'Invalid request body', errors } };
  const server = { id: serial('con', (counters.contacts += 1)), createdAt: new Date(context.now()).toISOString() };
  const contact = storeContact(body as ContactInput, server, shape.storage);
  return { status: 201, headers: JSON_TYPE, body: context.commit(records.contacts, contact) };
}

function listContacts(context: RouteContext, records: FulfillmentRecords, shape: Shape): Reply {
  const email = queryEmail(context, shape);
  const matches = context
    .visible(records.contacts)
    .filter((contact) => email === undefined || contact.email.toLowerCase() === email);
  return listReply(context, matches, shape.list);
}

// A normalizing API trims before it validates, as schema validators with transforms do.
function bodyOf(context: RouteContext, shape: Shape): unknown {
  return shape.storage === 'normalized' ? normalizeInput(context.body) : context.body;
}

// A normalizing API normalizes the filters it is given as it normalized what it stored.
function queryText(context: RouteContext, name: string, shape: Shape): string | null {
  const value = context.query.get(name);
  return value !== null && shape.storage === 'normalized' ? normalizeText(value) : value;
}

function queryEmail(context: RouteContext, shape: Shape): string | undefined {
  const value = context.query.get('email') ?? undefined;
  if (value === undefined) return undefined;
  return shape.storage === 'normalized' ? normalizeEmail(value) : value.toLowerCase();
}

function serial(prefix: string, count: number): string {
  return `${prefix}_${String(count).padStart(6, '0')}`;
}

function message(status: number, text: string): Reply {
  return { status, headers: JSON_TYPE, body: { message: text } };
}
