import { describe, expect, it } from 'vitest';
import { bodyPaging, linkPaging, nextLink, pageNumberPaging, type PageRead } from '../src/index.js';

const base = 'https://api.test/v1/orders/list';
function page(query: string, items: number, earlierItems: number[] = [], headers: Record<string, string> = {}, body: unknown = []): PageRead {
  return { url: new URL(`${base}?${query}`), headers: new Headers(headers), body, items, index: earlierItems.length, earlierItems };
}
const next = (url: URL | undefined): string | undefined => url?.searchParams.get('page') ?? undefined;

describe('nextLink', () => {
  it.each([
    ['<https://api.test/v1/orders/list?page=2>; rel="next"', 'https://api.test/v1/orders/list?page=2'],
    ['<https://api.test/x?page=1>; rel="prev", <https://api.test/x?page=3>; rel="next"', 'https://api.test/x?page=3'],
    ['</v1/orders/list?page=2>; rel=next', 'https://api.test/v1/orders/list?page=2'],
    ['<https://api.test/x?page=2>; rel="last next"', 'https://api.test/x?page=2'],
    ['<https://api.test/x?page=9>; rel="last"', undefined],
  ])('%s → %s', (header, expected) => {
    expect(nextLink(header, new URL(base))?.href).toBe(expected);
  });
});

describe('pageNumberPaging', () => {
  const paging = pageNumberPaging({ pageSize: 100 });
  it('a full page has a next one', () => expect(next(paging(page('page=1&pageSize=100', 100)))).toBe('2'));
  it('a Link header with no paging relation (a CDN preload hint) is not the API ending the list', () => {
    expect(next(paging(page('page=1&pageSize=100', 100, [], { link: '</assets/app.css>; rel=preload; as=style' })))).toBe('2');
    expect(next(paging(page('page=1&pageSize=100', 100, [], { link: '<https://api.test/v1/orders/list>; rel="canonical"' })))).toBe('2');
  });
  it('a Link header that speaks of pages and names no next ends the list', () => {
    expect(paging(page('page=3&pageSize=100', 100, [100, 100], { link: '<https://api.test/v1/orders/list?page=2>; rel="prev"' }))).toBeUndefined();
  });
  it('an empty page is the last', () => expect(paging(page('page=2&pageSize=100', 0, [100]))).toBeUndefined());
  it('a short first page is confirmed by reading the next (the API may cap the size silently)', () => {
    expect(next(paging(page('page=1&pageSize=100', 50)))).toBe('2');
  });
  it('a page as long as the one before it goes on (the size the API actually serves)', () => {
    expect(next(paging(page('page=2&pageSize=100', 50, [50])))).toBe('3');
  });
  it('a page shorter than the one before it is the last', () => expect(paging(page('page=3&pageSize=100', 20, [50, 50]))).toBeUndefined());
  it('X-Total-Count decides when there is no Link', () => {
    expect(paging(page('page=1&pageSize=100', 50, [], { 'x-total-count': '50' }))).toBeUndefined();
    expect(next(paging(page('page=1&pageSize=100', 50, [], { 'x-total-count': '51' })))).toBe('2');
  });
  it('a Link header wins, and its absence of next ends the list', () => {
    expect(paging(page('page=1&pageSize=100', 100, [], { link: '<https://api.test/x?page=1>; rel="first"' }))).toBeUndefined();
    expect(next(paging(page('page=1&pageSize=100', 3, [], { link: `<${base}?page=7>; rel="next"` })))).toBe('7');
  });
  it('maxServed: a page shorter than the cap ends the list without a confirming read', () => {
    const capped = pageNumberPaging({ pageSize: 100, maxServed: 50 });
    expect(capped(page('page=1&pageSize=100', 3))).toBeUndefined();
    expect(next(capped(page('page=1&pageSize=100', 50)))).toBe('2');
  });
});

describe('linkPaging and bodyPaging', () => {
  it('linkPaging follows rel="next" only', () => {
    expect(linkPaging()(page('page=1', 100))).toBeUndefined();
    expect(next(linkPaging()(page('page=1', 1, [], { link: `<${base}?page=2>; rel="next"` })))).toBe('2');
  });
  it('bodyPaging follows a next URL, or a cursor into its parameter, and ends on null', () => {
    const byUrl = bodyPaging((body) => (body as { next: unknown }).next);
    expect(byUrl(page('page=1', 1, [], {}, { next: '/v1/orders/list?page=2' }))?.href).toBe(`${base}?page=2`);
    expect(byUrl(page('page=1', 1, [], {}, { next: null }))).toBeUndefined();
    const byCursor = bodyPaging((body) => (body as { cursor: unknown }).cursor, 'cursor');
    expect(byCursor(page('page=1', 1, [], {}, { cursor: 'abc' }))?.searchParams.get('cursor')).toBe('abc');
    expect(() => byCursor(page('page=1', 1, [], {}, { cursor: { odd: true } }))).toThrow(/neither a URL nor a cursor/);
  });
});
