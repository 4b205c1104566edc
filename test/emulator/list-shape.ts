/**
 * How the fulfillment emulator answers its list endpoints. The default is a bare JSON array of
 * at most 100 items with no paging signal; the other shapes are those real APIs use, so a
 * client can be tested against a list that is not what it assumed: smaller pages than it
 * asked for, an RFC 8288 `Link` header, an envelope object, or an error with status 200.
 */
import { pageUrl, paginate } from './paging.js';
import type { RouteContext } from './router.js';
import type { Reply } from './types.js';

/**
 * The body of a list answer: `'array'` is the items; `'envelope'` is
 * `{ data, meta: { page, pageSize, total }, next }` with `next` the absolute URL of the next
 * page or `null`; `'error-200'` answers every list with status 200 and
 * `{ success: false, error: { code: 'SERVICE_ERROR', message: 'Search backend unavailable' } }`.
 */
export type ListShape = 'array' | 'envelope' | 'error-200';

/** The paging signal outside the body: none, or `Link: <next>; rel="next"` plus `X-Total-Count`. */
export type PageSignal = 'none' | 'link';

/** How list endpoints answer. */
export interface ListOptions {
  /** The largest page served, whatever `pageSize` asks. */
  readonly maxPageSize: number;
  /** The paging signal in the headers. */
  readonly pageSignal: PageSignal;
  /** The body shape. */
  readonly listShape: ListShape;
}

const JSON_TYPE = { 'Content-Type': 'application/json; charset=utf-8' };

/** The body of every list answer under `listShape: 'error-200'`. */
export const LIST_ERROR_200_BODY = {
  success: false,
  error: { code: 'SERVICE_ERROR', message: 'Search backend unavailable' },
} as const;

/**
 * The answer of a list request for the matching `items`, paged by the request's `page` and
 * `pageSize` (default 50) within `options.maxPageSize`.
 *
 * @example
 * ```ts
 * listReply(context, orders, { maxPageSize: 50, pageSignal: 'link', listShape: 'array' });
 * // { status: 200, headers: { ..., Link: '<http://…/v1/orders/list?page=2&pageSize=100>; rel="next"' }, body: [...50] }
 * ```
 */
export function listReply<T>(context: RouteContext, items: readonly T[], options: ListOptions): Reply {
  if (options.listShape === 'error-200') return { status: 200, headers: JSON_TYPE, body: LIST_ERROR_200_BODY };
  const page = paginate(items, context.query.get('page'), context.query.get('pageSize'), 50, options.maxPageSize);
  const next = page.hasNext ? pageUrl(context, page.page + 1) : null;
  const headers: Record<string, string> = { ...JSON_TYPE };
  if (options.pageSignal === 'link') {
    if (next !== null) headers.Link = `<${next}>; rel="next"`;
    headers['X-Total-Count'] = String(page.count);
  }
  if (options.listShape === 'envelope') {
    const meta = { page: page.page, pageSize: page.pageSize, total: page.count };
    return { status: 200, headers, body: { data: page.items, meta, next } };
  }
  return { status: 200, headers, body: page.items };
}
