/**
 * The emulated warehouse partner API (Django REST framework style): `Api-Key` auth with
 * scopes, the `{ success: false, error: { code, message, details } }` envelope, DRF
 * pagination, trailing slashes, and 409 DUPLICATE on a re-sent create.
 */
import { mulberry32, randomToken } from './fault.js';
import { pageUrl, paginate } from './paging.js';
import type { Route, RouteContext } from './router.js';
import { startEmulator } from './server.js';
import type { Emulator, EmulatorOptions, Reply } from './types.js';
import { authenticateWarehouse, WAREHOUSE_SCOPES, type WarehouseKey } from './warehouse-auth.js';
import { validateStrings, validateWarehouseOrder, type FieldDetail, type WarehouseItem } from './warehouse-validation.js';

export type { WarehouseKey } from './warehouse-auth.js';
export type { WarehouseItem, FieldDetail } from './warehouse-validation.js';

/** A stored warehouse order. */
export interface WarehouseOrder {
  id: number;
  order_number: string;
  items: WarehouseItem[];
  ship_to: Record<string, unknown> | null;
  reference: string | null;
  status: 'pending' | 'shipped' | 'cancelled';
  /** ISO 8601. */
  created_at: string;
}

/** The warehouse emulator's stored resources; `products` starts with SKU-1 … SKU-5. */
export interface WarehouseRecords {
  readonly orders: WarehouseOrder[];
  readonly locations: { id: number; code: string; name: string; created_at: string }[];
  readonly products: { id: number; sku_code: string; name: string; created_at: string }[];
  readonly inbound: { id: number; payload: unknown; received_at: string }[];
}

/** Options of {@link startWarehouse}. */
export interface WarehouseOptions extends EmulatorOptions {
  /** More keys with chosen scopes (the generated `apiKey` always has every scope). */
  readonly keys?: readonly WarehouseKey[];
  /** Body of a 500: Django's HTML page or DRF's JSON `detail`. @default 'html' */
  readonly serverErrorStyle?: 'html' | 'json';
}

/** A running warehouse emulator. */
export type WarehouseEmulator = Emulator<WarehouseRecords>;

const JSON_TYPE = { 'Content-Type': 'application/json' };
const HTML_TYPE = { 'Content-Type': 'text/html; charset=utf-8' };
const HTML_500 =
  '<!doctype html>\n<html lang="en">\n<head>\n  <title>Server Error (500)</title>\n</head>\n<body>\n' +
  '  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n';
const HTML_404 =
  '<!doctype html>\n<html lang="en">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n' +
  '  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n';

/**
 * Starts the warehouse emulator on 127.0.0.1 with a free port.
 *
 * @example
 * ```ts
 * const api = await startWarehouse({ keys: [{ key: 'read-only', scopes: ['orders:read'] }] });
 * await fetch(`${api.url}/api/v1/orders/`, { headers: { Authorization: `Api-Key ${api.apiKey}` } });
 * await api.close();
 * ```
 */
export function startWarehouse(options: WarehouseOptions = {}): Promise<WarehouseEmulator> {
  const random = mulberry32((options.seed ?? 1) + 7919);
  const apiKey = `${randomToken(random, 8)}.${randomToken(random, 32)}`;
  const keys = new Map<string, WarehouseKey>([[apiKey, { key: apiKey, scopes: WAREHOUSE_SCOPES }]]);
  for (const extra of options.keys ?? []) keys.set(extra.key, extra);
  const records: WarehouseRecords = { orders: [], locations: [], products: [], inbound: [] };
  for (let n = 1; n <= 5; n += 1) records.products.push({ id: n, sku_code: `SKU-${n}`, name: `Product ${n}`, created_at: new Date(0).toISOString() });
  const serverError: Reply =
    options.serverErrorStyle === 'json'
      ? { status: 500, headers: JSON_TYPE, body: { detail: 'A server error occurred.' } }
      : { status: 500, headers: HTML_TYPE, body: HTML_500 };
  return startEmulator(
    {
      records,
      apiKey,
      routes: warehouseRoutes(records),
      authenticate: (headers, route) => authenticateWarehouse(headers, keys, route),
      notFound: () => ({ status: 404, headers: HTML_TYPE, body: HTML_404 }),
      serverError: () => serverError,
      malformedJson: () => ({ status: 400, headers: JSON_TYPE, body: { detail: 'JSON parse error - Expecting value: line 1 column 1 (char 0)' } }),
      tooManyRequests: (seconds) => ({
        status: 429,
        headers: { ...JSON_TYPE, 'Retry-After': String(seconds) },
        body: { detail: `Request was throttled. Expected available in ${seconds} second${seconds === 1 ? '' : 's'}.` },
      }),
    },
    options,
  );
}

function warehouseRoutes(records: WarehouseRecords): Route[] {
  const on = (method: string, pattern: string, scope: string, handle: (context: RouteContext, records: WarehouseRecords) => Reply): Route => ({
    method,
    pattern,
    scope,
    handle: (context) => handle(context, records),
  });
  return [
    on('POST', '/api/v1/orders/', 'orders:write', createOrder),
    on('GET', '/api/v1/orders/', 'orders:read', listOrders),
    on('GET', '/api/v1/orders/:order_number/', 'orders:read', getOrder),
    on('POST', '/api/v1/locations/', 'locations:write', createLocation),
    on('POST', '/api/v1/products/', 'products:write', createProduct),
    on('POST', '/api/v1/inbound/', 'inbound:write', createInbound),
  ];
}

function createOrder(context: RouteContext, records: WarehouseRecords): Reply {
  const details = validateWarehouseOrder(context.body);
  if (details.length > 0) return failure(400, 'VALIDATION_ERROR', 'Invalid input.', details);
  const input = context.body as { order_number: string; items: WarehouseItem[]; ship_to?: Record<string, unknown> | null; reference?: string | null };
  if (records.orders.some((order) => order.order_number === input.order_number)) {
    return failure(409, 'DUPLICATE', `Order with order_number "${input.order_number}" already exists.`);
  }
  const unknownSku = input.items.find((item) => !records.products.some((product) => product.sku_code === item.sku_code));
  if (unknownSku) return failure(400, 'SERVICE_ERROR', `SKU not found: ${unknownSku.sku_code}`);
  const order: WarehouseOrder = {
    id: nextId(records.orders),
    order_number: input.order_number,
    items: input.items.map((item) => ({ sku_code: item.sku_code, quantity: item.quantity })),
    ship_to: input.ship_to ?? null,
    reference: input.reference ?? null,
    status: 'pending',
    created_at: new Date(context.now()).toISOString(),
  };
  return success(201, context.commit(records.orders, order));
}

function listOrders(context: RouteContext, records: WarehouseRecords): Reply {
  const orderNumber = context.query.get('order_number');
  const reference = context.query.get('reference');
  const matches = context
    .visible(records.orders)
    .filter((order) => (orderNumber === null || order.order_number === orderNumber) && (reference === null || order.reference === reference));
  const page = paginate(matches, context.query.get('page'), context.query.get('page_size'));
  if (!page.inRange) return { status: 404, headers: JSON_TYPE, body: { detail: 'Invalid page.' } };
  return {
    status: 200,
    headers: JSON_TYPE,
    body: {
      count: page.count,
      next: page.hasNext ? pageUrl(context, page.page + 1) : null,
      previous: page.page > 1 ? pageUrl(context, page.page - 1) : null,
      results: page.items,
    },
  };
}

function getOrder(context: RouteContext, records: WarehouseRecords): Reply {
  const wanted = context.params.order_number ?? '';
  const order = records.orders.find((candidate) => candidate.order_number === wanted);
  return order ? success(200, order) : failure(404, 'NOT_FOUND', `Order not found: ${wanted}`);
}

function createLocation(context: RouteContext, records: WarehouseRecords): Reply {
  const details = validateStrings(context.body, ['code', 'name']);
  if (details.length > 0) return failure(400, 'VALIDATION_ERROR', 'Invalid input.', details);
  const { code, name } = context.body as { code: string; name: string };
  if (records.locations.some((location) => location.code === code)) return failure(409, 'DUPLICATE', `A location with code "${code}" already exists.`);
  const location = { id: nextId(records.locations), code, name, created_at: new Date(context.now()).toISOString() };
  return success(201, context.commit(records.locations, location));
}

function createProduct(context: RouteContext, records: WarehouseRecords): Reply {
  const details = validateStrings(context.body, ['sku_code', 'name']);
  if (details.length > 0) return failure(400, 'VALIDATION_ERROR', 'Invalid input.', details);
  const { sku_code, name } = context.body as { sku_code: string; name: string };
  if (records.products.some((product) => product.sku_code === sku_code)) return failure(409, 'DUPLICATE', `A product with sku_code "${sku_code}" already exists.`);
  const product = { id: nextId(records.products), sku_code, name, created_at: new Date(context.now()).toISOString() };
  return success(201, context.commit(records.products, product));
}

function createInbound(context: RouteContext, records: WarehouseRecords): Reply {
  const payload = context.body;
  if (typeof payload === 'object' && payload !== null && (payload as { mapping_fail?: unknown }).mapping_fail === true) {
    return failure(422, 'MAPPING_ERROR', 'Could not map the inbound payload: a mapped source path is absent.');
  }
  const inbound = { id: nextId(records.inbound), payload, received_at: new Date(context.now()).toISOString() };
  return success(201, context.commit(records.inbound, inbound));
}

function nextId(collection: readonly { id: number }[]): number {
  return collection.reduce((max, record) => Math.max(max, record.id), 0) + 1;
}

function success(status: number, data: unknown): Reply {
  return { status, headers: JSON_TYPE, body: { success: true, data } };
}

function failure(status: number, code: string, message: string, details?: readonly FieldDetail[]): Reply {
  return { status, headers: JSON_TYPE, body: { success: false, error: { code, message, ...(details ? { details } : {}) } } };
}
