/**
 * Page-number pagination shared by the list endpoints of both emulated APIs.
 */
import type { RouteContext } from './router.js';

/** One page of a list. */
export interface Page<T> {
  /** The items on this page. */
  readonly items: T[];
  /** The 1-based page number served. */
  readonly page: number;
  /** Items per page. */
  readonly pageSize: number;
  /** Items across all pages. */
  readonly count: number;
  /** Whether a later page has items. */
  readonly hasNext: boolean;
  /** `false` when `page` is past the last page (page 1 of an empty list is in range). */
  readonly inRange: boolean;
}

/**
 * Cuts page `page` (1-based, default 1) of `pageSize` (default `defaultSize`, at most
 * `maxSize`) from `items`. Unparseable or non-positive numbers fall back to the defaults.
 *
 * @param defaultSize - the page size when `pageSize` is absent. @default 50
 * @param maxSize - the largest page served, whatever `pageSize` asks. @default 100
 * @example
 * ```ts
 * paginate([1, 2, 3], '2', '2').items; // [3]
 * ```
 */
export function paginate<T>(
  items: readonly T[],
  page: string | null,
  pageSize: string | null,
  defaultSize = 50,
  maxSize = 100,
): Page<T> {
  const number = positiveInt(page) ?? 1;
  const size = Math.min(maxSize, positiveInt(pageSize) ?? defaultSize);
  const start = (number - 1) * size;
  return {
    items: items.slice(start, start + size),
    page: number,
    pageSize: size,
    count: items.length,
    hasNext: start + size < items.length,
    inRange: number === 1 || start < items.length,
  };
}

/**
 * The absolute URL of page `page` of the request in `context`, every other query parameter kept.
 *
 * @example
 * ```ts
 * pageUrl(context, 2); // 'http://127.0.0.1:41234/v1/orders/list?campaignId=c&page=2'
 * ```
 */
export function pageUrl(context: Pick<RouteContext, 'baseUrl' | 'path' | 'query'>, page: number): string {
  const query = new URLSearchParams(context.query);
  query.set('page', String(page));
  return `${context.baseUrl}${context.path}?${query.toString()}`;
}

function positiveInt(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value)) return undefined;
  const parsed = Number(value);
  return parsed >= 1 ? parsed : undefined;
}
