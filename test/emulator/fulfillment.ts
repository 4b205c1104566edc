/**
 * The emulated fulfillment API: bearer keys of 96 characters, `{ message }` errors, a
 * plain-text 401, 500s whose wording varies, and creates without any idempotency key.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { mulberry32, randomToken } from './fault.js';
import { validateContact, validateOrder, type OrderInput, type ProductLine, type ShipTo } from './fulfillment-validation.js';
import { headerValue } from './http-io.js';
import { paginate } from './paging.js';
import type { Route, RouteContext } from './router.js';
import { startEmulator, type AuthResult } from './server.js';
import type { Emulator, EmulatorOptions, Reply } from './types.js';

export type { ShipTo, ProductLine } from './fulfillment-validation.js';

/** A stored fulfillment order. */
export interface FulfillmentOrder {
  id: string;
  campaignId: string;
  shipTo: ShipTo;
  products: ProductLine[];
  externalRef?: string;
  status: 'pending' | 'shipped' | 'cancelled';
  /** ISO 8601. */
  createdAt: string;
}

/** A stored fulfillment contact. */
export interface FulfillmentContact {
  id: string;
  email: string;
  name: string;
  externalRef?: string;
  /** ISO 8601. */
  createdAt: string;
}

/** The fulfillment emulator's stored resources. */
export interface FulfillmentRecords {
  readonly orders: FulfillmentOrder[];
  readonly contacts: FulfillmentContact[];
}

/** Options of {@link startFulfillment}. */
export interface FulfillmentOptions extends EmulatorOptions {
  /** More valid keys besides the generated one (each must be 96 characters to pass). */
  readonly apiKeys?: readonly string[];
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
 * const api = await startFulfillment({ listLagMs: 200 });
 * await fetch(`${api.url}/v1/orders/list`, { headers: { Authorization: `Bearer ${api.apiKey}` } });
 * await api.close();
 * ```
 */
export function startFulfillment(options: FulfillmentOptions = {}): Promise<FulfillmentEmulator> {
  const apiKey = randomToken(mulberry32(options.seed ?? 1), 96);
  const keys = new Set([apiKey, ...(options.apiKeys ?? [])]);
  const records: FulfillmentRecords = { orders: [], contacts: [] };
  const counters = { serverErrors: 0, orders: 0, contacts: 0 };
  return startEmulator(
    {
      records,
      apiKey,
      routes: fulfillmentRoutes(records, counters),
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

function fulfillmentRoutes(records: FulfillmentRecords, counters: IdCounters): Route[] {
  return [
    { method: 'POST', pattern: '/v1/orders/create', handle: (context) => createOrder(context, records, counters) },
    { method: 'GET', pattern: '/v1/orders/list', handle: (context) => listOrders(context, records) },
    { method: 'POST', pattern: '/v1/orders/cancel', handle: (context) => cancelOrder(context, records) },
    { method: 'GET', pattern: '/v1/orders/:id', handle: (context) => getOrder(context, records) },
    { method: 'POST', pattern: '/v1/contacts/create', handle: (context) => createContact(context, records, counters) },
    { method: 'GET', pattern: '/v1/contacts/list', handle: (context) => listContacts(context, records) },
  ];
}

function createOrder(context: RouteContext, records: FulfillmentRecords, counters: IdCounters): Reply {
  const errors = validateOrder(context.body);
  if (errors.length > 0) return { status: 400, headers: JSON_TYPE, body: { message: 'Invalid request body', errors } };
  const input = context.body as OrderInput;
  const order: FulfillmentOrder = {
    id: `ord_${String((counters.orders += 1)).padStart(6, '0')}`,
    campaignId: input.campaignId,
    shipTo: { ...input.shipTo },
    products: input.products.map((line) => ({ sku: line.sku, quantity: line.quantity })),
    ...(input.externalRef === undefined ? {} : { externalRef: input.externalRef }),
    status: 'pending',
    createdAt: new Date(context.now()).toISOString(),
  };
  return { status: 201, headers: JSON_TYPE, body: context.commit(records.orders, order) };
}

function listOrders(context: RouteContext, records: FulfillmentRecords): Reply {
  const campaignId = context.query.get('campaignId');
  const email = context.query.get('email')?.toLowerCase();
  const matches = context
    .visible(records.orders)
    .filter((order) => (campaignId === null || order.campaignId === campaignId) && (email === undefined || order.shipTo.email.toLowerCase() === email));
  return { status: 200, headers: JSON_TYPE, body: pageOf(context, matches) };
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

function createContact(context: RouteContext, records: FulfillmentRecords, counters: IdCounters): Reply {
  const errors = validateContact(context.body);
  if (errors.length > 0) return { status: 400, headers: JSON_TYPE, body: { message: 'Invalid request body', errors } };
  const input = context.body as { email: string; name: string; externalRef?: string };
  const contact: FulfillmentContact = {
    id: `con_${String((counters.contacts += 1)).padStart(6, '0')}`,
    email: input.email,
    name: input.name,
    ...(input.externalRef === undefined ? {} : { externalRef: input.externalRef }),
    createdAt: new Date(context.now()).toISOString(),
  };
  return { status: 201, headers: JSON_TYPE, body: context.commit(records.contacts, contact) };
}

function listContacts(context: RouteContext, records: FulfillmentRecords): Reply {
  const email = context.query.get('email')?.toLowerCase();
  const matches = context.visible(records.contacts).filter((contact) => email === undefined || contact.email.toLowerCase() === email);
  return { status: 200, headers: JSON_TYPE, body: pageOf(context, matches) };
}

function pageOf<T>(context: RouteContext, items: readonly T[]): T[] {
  return paginate(items, context.query.get('page'), context.query.get('pageSize')).items;
}

function message(status: number, text: string): Reply {
  return { status, headers: JSON_TYPE, body: { message: text } };
}
