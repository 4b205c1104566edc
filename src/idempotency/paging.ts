/**
 * How an existence check finds the next page of a list: from the API's own signal (an RFC 8288
 * `Link: <…>; rel="next"` header, a next URL or cursor in the body, a total count), never from a
 * guess about the page size. Pure: no I/O.
 */

/** One page as read, handed to a {@link Paging} to find the next one. */
export interface PageRead {
  /** The URL this page was read from. */
  readonly url: URL;
  /** The answer's headers. */
  readonly headers: Headers;
  /** The answer's parsed JSON body. */
  readonly body: unknown;
  /** How many candidates this page held. */
  readonly items: number;
  /** 0 for the first page. */
  readonly index: number;
  /** How many candidates each earlier page held, first page first. */
  readonly earlierItems: readonly number[];
}

/**
 * Finds the next page: its URL, or `undefined` on the last page. Throws when it cannot tell
 * (the check then fails closed).
 */
export type Paging = (page: PageRead) => URL | undefined;

/** Options of {@link pageNumberPaging}. */
export interface PageNumberPagingOptions {
  /** Query parameter of the page number. @default 'page' */
  readonly pageParam?: string;
  /** Query parameter of the page size. @default 'pageSize' */
  readonly sizeParam?: string;
  /** Page size asked for. @default 100 */
  readonly pageSize?: number;
  /** Number of the first page. @default 1 */
  readonly firstPage?: number;
  /**
   * The most items the API serves on one page whatever is asked (its documented cap). When
   * known, a page shorter than the smaller of this and the size asked is the last, without a
   * confirming read of the next page.
   * @default unknown
   */
  readonly maxServed?: number;
}

/**
 * The `rel="next"` target of a `Link` header, resolved against `base`; `undefined` when there
 * is none.
 *
 * @example
 * ```ts
 * nextLink('<https://api.test/v1/orders?page=2>; rel="next"', new URL('https://api.test/v1/orders')); // URL …page=2
 * ```
 */
export function nextLink(header: string | null, base: URL): URL | undefined {
  if (header === null) return undefined;
  for (const { target, relations } of linksOf(header)) {
    if (!relations.includes('next')) continue;
    try {
      return new URL(target, base);
    } catch {
      throw new Error(`the Link header's next page is not a URL`);
    }
  }
  return undefined;
}

// The relations by which a Link header speaks of paging. Others (a CDN's `preload`, a
// `canonical`) say nothing of pages: a full page with only those must not end the list.
const PAGING_RELATIONS = new Set(['next', 'prev', 'previous', 'first', 'last']);

function pagesByLink(header: string | null): header is string {
  if (header === null) return false;
  for (const { relations } of linksOf(header)) if (relations.some((relation) => PAGING_RELATIONS.has(relation))) return true;
  return false;
}

function* linksOf(header: string): Generator<{ target: string; relations: string[] }> {
  for (const match of header.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const [, target = '', params = ''] = match;
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    yield { target, relations: (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/) };
  }
}

/**
 * Follows `Link: <…>; rel="next"` only: an answer without one is the last page.
 *
 * @example
 * ```ts
 * lookupExistence({ …, paging: linkPaging() });
 * ```
 */
export function linkPaging(): Paging {
  return ({ headers, url }) => nextLink(headers.get('link'), url);
}

/**
 * Page-number pagination (`?page=N&pageSize=M`). The API's own signal wins: a `Link` header
 * that speaks of pages (its `next`, or its absence beside a `prev`, `first` or `last`), else an `X-Total-Count`. Without either, the page size the API
 * actually used is learned from what it served, since many APIs cap `pageSize` silently: an
 * empty page is the last; a full page (as large as asked) has a next one; a shorter first page
 * is confirmed by reading the next; a later page shorter than the one before it is the last.
 *
 * @example
 * ```ts
 * lookupExistence({ …, paging: pageNumberPaging({ pageSize: 100 }) });
 * ```
 */
export function pageNumberPaging(options: PageNumberPagingOptions = {}): Paging {
  const { pageParam = 'page', sizeParam = 'pageSize', pageSize = 100, firstPage = 1, maxServed } = options;
  return (page) => {
    const link = page.headers.get('link');
    if (pagesByLink(link)) return nextLink(link, page.url);
    const next = new URL(page.url);
    next.searchParams.set(pageParam, String(pageNumberOf(page.url, pageParam, firstPage) + 1));
    if (page.items === 0) return undefined;
    const total = Number(page.headers.get('x-total-count') ?? Number.NaN);
    const readSoFar = page.earlierItems.reduce((sum, count) => sum + count, page.items);
    if (Number.isSafeInteger(total) && total >= 0) return readSoFar < total ? next : undefined;
    const asked = Number(page.url.searchParams.get(sizeParam) ?? pageSize);
    if (page.items >= asked) return next;
    if (maxServed !== undefined) return page.items >= Math.min(asked, maxServed) ? next : undefined;
    const before = page.earlierItems[page.earlierItems.length - 1];
    return before === undefined || page.items >= before ? next : undefined;
  };
}

/**
 * Follows a next-page URL (absolute or relative) or cursor that the body carries, e.g. an
 * envelope's `next` or `links.next`. `null`, `undefined` or `''` end the list.
 *
 * @example
 * ```ts
 * bodyPaging((body) => (body as { next?: string | null }).next);
 * bodyPaging((body) => (body as { cursor?: string }).cursor, 'cursor'); // ?cursor=…
 * ```
 */
export function bodyPaging(nextOf: (body: unknown) => unknown, cursorParam?: string): Paging {
  return ({ body, url }) => {
    const value = nextOf(body);
    if (value === null || value === undefined || value === '') return undefined;
    if (typeof value !== 'string' && typeof value !== 'number') throw new Error('the next-page signal is neither a URL nor a cursor');
    if (cursorParam === undefined) return new URL(String(value), url);
    const next = new URL(url);
    next.searchParams.set(cursorParam, String(value));
    return next;
  };
}

function pageNumberOf(url: URL, param: string, firstPage: number): number {
  const value = url.searchParams.get(param);
  const parsed = value === null ? Number.NaN : Number(value);
  return Number.isSafeInteger(parsed) ? parsed : firstPage;
}
