import { describe, expect, it } from 'vitest';
import { parseSfDictionary, parseSfList, type SfItem } from '../src/verdict/structured-fields.js';

const plain = (items: readonly SfItem[] | undefined): unknown[] | undefined =>
  items?.map((item) => ({ value: Array.isArray(item.value) ? plain(item.value) : item.value, params: Object.fromEntries(item.params) }));

describe('parseSfList', () => {
  const valid: Array<[string, unknown]> = [
    ['"default";r=0;t=30', [{ value: 'default', params: { r: 0, t: 30 } }]],
    ['"burst";q=100;w=60, "daily";q=1000;w=86400', [{ value: 'burst', params: { q: 100, w: 60 } }, { value: 'daily', params: { q: 1000, w: 86400 } }]],
    ['100, 100;w=60', [{ value: 100, params: {} }, { value: 100, params: { w: 60 } }]],
    ['tok/en:x;flag;pk=:cGsx:', [{ value: 'tok/en:x', params: { flag: true, pk: 'cGsx' } }]],
    ['"a\\"b";d=1.5;e=-2;f=?0', [{ value: 'a"b', params: { d: 1.5, e: -2, f: false } }]],
    ['(1 "x");r=0', [{ value: [{ value: 1, params: {} }, { value: 'x', params: {} }], params: { r: 0 } }]],
    ['  a ,\tb  ', [{ value: 'a', params: {} }, { value: 'b', params: {} }]],
    ['', []],
  ];
  it.each(valid)('parses %j', (input, expected) => {
    expect(plain(parseSfList(input))).toEqual(expected);
  });

  const malformed = ['a,', '"open', '"default";r=', 'a;R=1', '1234567890123456', '1.2345', 'a b', '"é"', ';r=0', '(1 2', 'a;r=0,,b', 'limit=1'];
  it.each(malformed)('rejects the malformed field %j whole', (input) => {
    expect(parseSfList(input)).toBeUndefined();
  });

  it('treats a missing field as absent', () => {
    expect(parseSfList(null)).toBeUndefined();
  });
});

describe('parseSfDictionary', () => {
  it('parses the draft -07 RateLimit dictionary', () => {
    const dictionary = parseSfDictionary('limit=100, remaining=0, reset=30, flag');
    expect([...(dictionary ?? new Map<string, SfItem>())].map(([key, item]) => [key, item.value])).toEqual([
      ['limit', 100],
      ['remaining', 0],
      ['reset', 30],
      ['flag', true],
    ]);
  });

  it('rejects a list of named items', () => {
    expect(parseSfDictionary('"default";r=0;t=30')).toBeUndefined();
  });
});
