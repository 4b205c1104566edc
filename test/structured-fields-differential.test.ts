/**
 * Differential test of `structured-fields.ts` against the npm package `structured-headers`
 * (RFC 9651 and RFC 8941, tested by its author against the HTTP WG's structured-field-tests):
 * generated valid Lists and Dictionaries (the library serializes them), the RateLimit and
 * RateLimit-Policy shapes, and random or mutated text. Both must accept the same fields and read
 * the same values. Fields arrive as `Headers` give them: without leading or trailing SP/HTAB.
 * `BENCH_ONLY=structured-fields npm run bench` compares their speed.
 */
import fc from 'fast-check';
import { DisplayString, Token, parseDictionary, parseList, serializeDictionary, serializeList, type BareItem, type InnerList, type Item, type Parameters } from 'structured-headers';
import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from '../src/core/bytes.js';
import { parseSfDictionary, parseSfList, type SfBareItem, type SfItem } from '../src/verdict/structured-fields.js';

function sameBare(theirs: BareItem, ours: SfBareItem): boolean {
  // Object.is: a 15-digit date is valid but past what a Date holds; both give an invalid Date.
  if (ours instanceof Date) return Object.is(ours.getTime(), theirs instanceof Date ? theirs.getTime() : new Date(Number(theirs) * 1000).getTime());
  if (theirs instanceof Token || theirs instanceof DisplayString) return ours === theirs.toString();
  // Ours keeps a byte sequence's base64 text; the library decodes it.
  if (theirs instanceof ArrayBuffer) return typeof ours === 'string' && toBase64(fromBase64(ours)) === toBase64(new Uint8Array(theirs));
  return Object.is(theirs, ours);
}
const sameParams = (theirs: Parameters, ours: ReadonlyMap<string, SfBareItem>): boolean =>
  theirs.size === ours.size && [...theirs].every(([key, value], index) => [...ours.keys()][index] === key && sameBare(value, ours.get(key)!));
function sameMember([value, params]: Item | InnerList, ours: SfItem): boolean {
  if (!sameParams(params, ours.params)) return false;
  if (!Array.isArray(value)) return !Array.isArray(ours.value) && sameBare(value, ours.value as SfBareItem);
  const members = ours.value;
  return Array.isArray(members) && members.length === value.length && value.every((item, index) => sameMember(item, members[index]!));
}

function parseTheirs(field: string, dictionary: boolean): Map<string, Item | InnerList> | Array<Item | InnerList> | undefined {
  try {
    return dictionary ? parseDictionary(field) : parseList(field);
  } catch {
    return undefined;
  }
}

// structured-headers 2.0.2's parseDate reads digits to the end of the input and fails on
// anything after them, so it rejects a valid date that is not the field's last character
// (`@0;a=1`, `@0, b`). Where only ours accepts a field with dates, the library reads it again
// with every integer date written as its integer (strings and display strings left alone) and
// must agree. The field is looked at, not our result: a date can be a member or parameter that
// a later one of the same key replaced (`y;r=@1, y`), which the library also had to parse.
const datesAsIntegers = (field: string): string => field.replace(/%"[^"]*"|"(?:[^"\\]|\\.)*"|@(-?\d+)(?![.\d])/g, (match, seconds?: string) => seconds ?? match);

type Verdict = 'both' | 'neither' | string;
/** 'both' (same values), 'neither' (both reject), or how they differ. */
function compare(field: string, dictionary: boolean): Verdict {
  const ours = dictionary ? parseSfDictionary(field) : parseSfList(field);
  let theirs = parseTheirs(field, dictionary);
  if (theirs === undefined && ours !== undefined && datesAsIntegers(field) !== field) theirs = parseTheirs(datesAsIntegers(field), dictionary);
  if (theirs === undefined || ours === undefined) return theirs === ours ? 'neither' : `${theirs === undefined ? 'only ours' : 'only theirs'} accepts ${JSON.stringify(field)}`;
  const [a, b] = theirs instanceof Map ? [[...theirs], [...(ours as ReadonlyMap<string, SfItem>)]] : [theirs.map((m) => ['', m] as const), (ours as readonly SfItem[]).map((m) => ['', m] as const)];
  const same = a.length === b.length && a.every(([key, member], index) => b[index]![0] === key && sameMember(member, b[index]![1]));
  return same ? 'both' : `different values for ${JSON.stringify(field)}`;
}

/** A property body: both read `field` the same ('both'), or, for 'both or neither', both reject it too. */
const agree =
  (dictionary: boolean, expected: 'both' | 'both or neither') =>
  (field: string): void => {
    expect(compare(field, dictionary)).toMatch(expected === 'both' ? /^both$/ : /^(both|neither)$/);
  };

const key = fc.stringMatching(/^[a-z*][a-z0-9_.*-]{0,6}$/);
const bare: fc.Arbitrary<BareItem> = fc.oneof(
  fc.integer({ min: -999_999_999_999_999, max: 999_999_999_999_999 }),
  fc.integer({ min: -999_999_999_999_999, max: 999_999_999_999_999 }).map((n) => n / 1000),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 12 }),
  fc.stringMatching(/^[A-Za-z*][!#$%&'*+.^_`|~0-9A-Za-z:/-]{0,8}$/).map((text) => new Token(text)),
  fc.uint8Array({ maxLength: 12 }).map((bytes) => bytes.slice().buffer),
  fc.boolean(),
  fc.integer({ min: -62_135_596_800, max: 253_402_300_799 }).map((seconds) => new Date(seconds * 1000)),
  fc.string({ unit: 'grapheme', maxLength: 6 }).map((text) => new DisplayString(text)),
);
const params = fc.uniqueArray(fc.tuple(key, bare), { selector: ([name]) => name, maxLength: 3 }).map((entries) => new Map(entries));
const item = fc.tuple(bare, params) as fc.Arbitrary<Item>;
const member: fc.Arbitrary<Item | InnerList> = fc.oneof({ weight: 4, arbitrary: item }, { weight: 1, arbitrary: fc.tuple(fc.array(item, { maxLength: 3 }), params) as fc.Arbitrary<InnerList> });
const list = fc.array(member, { maxLength: 4 }).map((members) => serializeList(members));
const dictionary = fc.uniqueArray(fc.tuple(key, member), { selector: ([name]) => name, maxLength: 4 }).map((entries) => serializeDictionary(new Map(entries)));

// RateLimit / RateLimit-Policy (draft -09/-10): named policies with q, w, r, t and a pk byte sequence.
const policyName = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/).map((name) => `"${name}"`));
const rateLimitField = fc
  .array(fc.tuple(policyName, fc.subarray(['q', 'w', 'r', 't', 'pk', 'qu']), fc.nat(100_000), fc.uint8Array({ minLength: 1, maxLength: 6 })), { minLength: 1, maxLength: 3 })
  .map((policies) =>
    policies
      .map(([name, keys, n, bytes]) => [name, ...keys.map((k) => `${k}=${k === 'pk' ? `:${toBase64(bytes)}:` : k === 'qu' ? '"requests"' : n}`)].join(';'))
      .join(', '),
  );

const headerTrim = (field: string): string => field.replace(/^[\t ]+|[\t ]+$/g, '');
const sfAlphabet = fc.constantFrom(...'abz09*-_.:/;=,()" \t?\\@%1!#$&\'+^`|~AZ'.split(''));
const mutate = (field: fc.Arbitrary<string>) =>
  fc.tuple(field, fc.nat(), fc.nat(2), sfAlphabet).map(([text, at, kind, char]) => {
    const i = text.length === 0 ? 0 : at % text.length;
    return headerTrim(kind === 0 ? text.slice(0, i) + char + text.slice(i) : kind === 1 ? text.slice(0, i) + text.slice(i + 1) : text.slice(0, i) + char + text.slice(i + 1));
  });

describe('structured-fields.ts against structured-headers', () => {
  it('reads every valid List the same (RFC 9651 items, inner lists, parameters, dates, display strings)', () => {
    fc.assert(fc.property(list, agree(false, 'both')), { numRuns: 3000 });
  });

  it('reads every valid Dictionary the same', () => {
    fc.assert(fc.property(dictionary, agree(true, 'both')), { numRuns: 3000 });
  });

  it('reads the RateLimit and RateLimit-Policy shapes the same', () => {
    fc.assert(fc.property(rateLimitField, agree(false, 'both')), { numRuns: 2000 });
    for (const field of ['"default";r=0;t=30', '"burst";q=100;w=60, "daily";q=1000;w=86400', 'default;q=10;w=1;pk=:cGsx:', '"p";r=5;t=@1700000000']) {
      expect(compare(field, false)).toBe('both');
    }
    expect(compare('limit=100, remaining=0, reset=30', true)).toBe('both');
  });

  it('accepts and rejects the same mutated and random fields', () => {
    // Found by earlier runs: a date in a member or parameter that a later one of the same key replaces.
    for (const field of ['y;r=@10000, y', 'a=(?0 ?0;b=@100000000000;b=c), d=?0']) {
      agree(false, 'both or neither')(field);
      agree(true, 'both or neither')(field);
    }
    for (const dictionaryField of [false, true]) {
      const valid = dictionaryField ? dictionary : list;
      fc.assert(fc.property(mutate(valid), agree(dictionaryField, 'both or neither')), { numRuns: 4000 });
      fc.assert(fc.property(mutate(rateLimitField), agree(dictionaryField, 'both or neither')), { numRuns: 2000 });
      const random = fc.string({ unit: sfAlphabet, maxLength: 16 }).map(headerTrim);
      fc.assert(fc.property(random, agree(dictionaryField, 'both or neither')), { numRuns: 20_000 });
    }
  });

  it('rejects the invalid fields the RFC names, as the library does', () => {
    const invalid = ['a,', '"open', 'a;R=1', '1234567890123456', '1.2345', '1234567890123.1', 'a b', '"é"', ':=a=:', ':a:', '@1.5', '%"%C3"', '%"%c3"', '%"\u00e9"', '?2', '(1 2', 'a;r=0,,b'];
    for (const field of invalid) {
      expect([field, compare(field, false)]).toEqual([field, 'neither']);
      expect([field, compare(field, true)]).toEqual([field, 'neither']);
    }
  });
});
