import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareSent, comparators, type CompareOptions } from '../src/idempotency/compare.js';

type Case = [title: string, sent: unknown, stored: unknown, differences: string[], options?: CompareOptions];

const order = {
  campaignId: 'c-1',
  shipTo: { name: 'Ann Lee', email: 'Ann.Lee@Example.com', address2: null },
  products: [
    { sku: 'A-1', quantity: 2 },
    { sku: 'B-2', quantity: 1 },
  ],
};

describe('compareSent', () => {
  const cases: Case[] = [
    ['ignores keys only the API stored', { a: 1 }, { a: 1, id: 9, createdAt: 'x', unitPrice: null }, []],
    ['takes a sent null as equal to a stored absent field', { a: null }, {}, []],
    ['takes a sent null as equal to a stored null', { a: null }, { a: null }, []],
    ['never compares a sent undefined', { a: undefined }, { a: 'anything' }, []],
    ['reports a sent value the API did not store', { a: 'x' }, {}, ['a']],
    ['reports a sent value stored as null', { a: 'x' }, { a: null }, ['a']],
    ['reports a sent null stored as a value', { a: null }, { a: 'x' }, ['a']],
    ['recurses into objects with dotted paths', { to: { name: 'Ann' } }, { to: { name: 'Bob' } }, ['to.name']],
    ['reports every differing field', { a: 1, b: { c: 'x', d: true } }, { a: 2, b: { c: 'y', d: true } }, ['a', 'b.c']],
    ['reports arrays of different lengths at the array', { tags: ['a', 'b'] }, { tags: ['a'] }, ['tags']],
    ['compares array elements in order', { tags: ['a', 'b'] }, { tags: ['a', 'b'] }, []],
    ['pairs reordered elements as a multiset', order, { ...order, products: [...order.products].reverse() }, []],
    ['pairs reordered leaves as a multiset', { tags: ['a', ' b'] }, { tags: ['b', 'a'] }, []],
    ['keeps the multiplicity of elements', { tags: ['a', 'a', 'b'] }, { tags: ['a', 'b', 'b'] }, ['tags[1]']],
    [
      // sent[0] fits both stored elements; the pairing must move it to let sent[1] fit stored[0]
      'finds a pairing a greedy choice would miss',
      { p: [{ k: 1 }, { k: 1, m: 2 }] },
      { p: [{ k: 1, m: 2 }, { k: 1 }] },
      [],
    ],
    [
      'reports a changed element of a reordered array by its sent index',
      { products: [{ sku: 'A', quantity: 2 }, { sku: 'B', quantity: 1 }, { sku: 'C', quantity: 5 }] },
      { products: [{ sku: 'C', quantity: 5 }, { sku: 'B', quantity: 3 }, { sku: 'A', quantity: 2 }] },
      ['products[1].quantity'],
    ],
    ['reports in order when nothing moved', { p: [{ q: 1 }, { q: 2 }] }, { p: [{ q: 1 }, { q: 3 }] }, ['p[1].q']],
    ['compares strings trimmed, NFC and with collapsed spaces', { n: ' Zoe\u0301  Lee ' }, { n: 'Zoé Lee' }, []],
    ['keeps strings case-sensitive', { n: 'Ann' }, { n: 'ann' }, ['n']],
    ['compares two email addresses case-insensitively', { e: ' Ann@X.com' }, { e: 'ann@x.com' }, []],
    ['does not take an address for equal to a different one', { e: 'ann@x.com' }, { e: 'anna@x.com' }, ['e']],
    ['takes a number for its numeric string', { q: 2, p: ' 2.50 ', r: 1e21 }, { q: '2', p: 2.5, r: '1e+21' }, []],
    ['does not take a number as equal to another number', { q: 2 }, { q: '3' }, ['q']],
    ['does not take a number as equal to a non-numeric string', { q: 2 }, { q: 'two' }, ['q']],
    ['compares two numeric strings as text', { zip: '02134' }, { zip: '2134' }, ['zip']],
    ['takes a boolean as equal to its string', { a: true, b: false }, { a: 'true', b: ' FALSE ' }, []],
    ['does not take a boolean as equal to the other string', { a: true }, { a: 'false' }, ['a']],
    ['does not take a boolean as equal to a number', { a: true }, { a: 1 }, ['a']],
    ['reports a leaf stored as an object', { a: 'x' }, { a: { value: 'x' } }, ['a']],
    ['reports an object stored as a leaf', { a: { b: 1 } }, { a: 1 }, ['a']],
    ['reports an object stored as an array', { a: { b: 1 } }, { a: [{ b: 1 }] }, ['a']],
    ['reports an array stored as an object', { a: [1] }, { a: { 0: 1 } }, ['a']],
    ['writes the root as the empty path', 'a', 'b', ['']],
    ['writes elements of a root array with their index', [1, 2], [1, 3], ['[1]']],
    ['reads no inherited property of the stored object', { constructor: 'x' }, {}, ['constructor']],
    ['uses a declared comparator for its path', { s: { n: 'ann' } }, { s: { n: 'ANN' } }, [], {
      fields: { 's.n': comparators.caseInsensitive },
    }],
    ['applies a declared comparator to every element', { p: [{ sku: 'ab' }] }, { p: [{ sku: ' ab' }] }, ['p[0].sku'], {
      fields: { 'p[].sku': comparators.exact },
    }],
    ['lets a comparator for an object decide its subtree', { m: { a: 1 } }, { m: { b: 2 } }, [], {
      fields: { m: () => true },
    }],
    ['takes a comparator that throws as a difference', { a: 1 }, { a: 1 }, ['a'], {
      fields: { a: () => { throw new Error('x'); } },
    }],
    ['skips ignored paths', { notes: 'x', p: [{ q: 1, sku: 'a' }] }, { notes: 'y', p: [{ q: 9, sku: 'a' }] }, [], {
      ignore: ['notes', 'p[].q'],
    }],
  ];
  it.each(cases)('%s', (_title, sent, stored, differences, options) => {
    expect(compareSent(sent, stored, options)).toEqual({ equal: differences.length === 0, differences });
  });

  it('compares arrays longer than 50 in order only', () => {
    const long = Array.from({ length: 51 }, (_, i) => i);
    expect(compareSent(long, [...long].reverse()).equal).toBe(false);
    expect(compareSent(long.slice(0, 50), long.slice(0, 50).reverse()).equal).toBe(true);
  });

  it('reports the root instead of throwing on a value too deep to walk', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 200_000; i += 1) deep = { a: deep };
    expect(compareSent(deep, deep)).toEqual({ equal: false, differences: [''] });
  });
});

describe('comparators', () => {
  const table: Array<[keyof typeof comparators, unknown, unknown, boolean]> = [
    ['exact', { a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }], c: undefined }, true],
    ['exact', { a: 1 }, { a: 1, b: 2 }, false],
    ['exact', [1, 2], [2, 1], false],
    ['exact', 'a', ' a', false],
    ['exact', 2, '2', false],
    ['text', ' a \t b\n', 'a b', true],
    ['text', 'Cafe\u0301', 'Café', true],
    ['text', 'ab', 'a b', false],
    ['text', 'A', 'a', false],
    ['text', 2, '2', true],
    ['caseInsensitive', ' ÉLAN  Vital', 'e\u0301lan vital', true],
    ['caseInsensitive', 'élan', 'elan', false],
    ['email', ' Ann@Example.COM ', 'ann@example.com', true],
    ['email', 'ann@example.com', 'ann@example.org', false],
    ['number', ' 2.50 ', 2.5, true],
    ['number', '2.50', '2.5', true],
    ['number', 2, '2.0001', false],
    ['number', '1e3', 1000, true],
    ['number', 2, '', false],
    ['number', 'abc', ' abc', true],
    ['loose', 'ann@x.com', 'ANN@X.COM', true],
    ['loose', 'Ann Lee', 'ann lee', false],
    ['loose', 7, '7', true],
    ['loose', true, 'TRUE', true],
    ['loose', null, undefined, true],
    ['loose', { a: ' x ' }, { a: 'x', b: 1 }, true],
    ['loose', 'x', { a: 'x' }, false],
  ];
  it.each(table)('%s(%j, %j) is %s', (name, sent, stored, expected) => {
    expect(comparators[name](sent, stored)).toBe(expected);
  });
});

const word = fc.stringMatching(/^[A-Za-zÀ-ÖØ-öø-ÿ]{1,8}$/);
const name = fc.array(word, { minLength: 1, maxLength: 3 }).map((words) => words.join(' '));
const email = fc
  .tuple(fc.stringMatching(/^[A-Za-z0-9._]{1,10}$/), fc.stringMatching(/^[A-Za-z0-9]{1,8}$/))
  .map(([local, domain]) => `${local}@${domain}.com`);
const amount = fc.oneof(fc.integer({ min: -1000, max: 100_000 }), fc.double({ noNaN: true, noDefaultInfinity: true }));
const leaf = fc.oneof(name, email, amount, fc.boolean(), fc.constant(null));
const key = fc.stringMatching(/^[a-z]{1,6}$/);
// Array elements are distinct (by sku, by tag) so that a changed element cannot pair with another one.
const product = fc.record(
  {
    sku: word,
    quantity: fc.integer({ min: 1, max: 99 }),
    unitPrice: amount,
    gift: fc.boolean(),
    note: fc.option(name, { nil: null }),
  },
  { requiredKeys: ['sku', 'quantity'] },
);
const orderLike = fc.record({
  campaignId: fc.stringMatching(/^[a-z0-9]{1,12}$/),
  shipTo: fc.record({
    name,
    email,
    address1: name,
    address2: fc.option(name, { nil: null }),
    zip: fc.stringMatching(/^\d{5}$/),
  }),
  products: fc.uniqueArray(product, { selector: (item) => item.sku, maxLength: 6 }),
  tags: fc.uniqueArray(word, { maxLength: 5 }),
  paid: fc.boolean(),
  total: amount,
  extra: fc.dictionary(key, fc.oneof(leaf, fc.dictionary(key, leaf, { maxKeys: 4 })), { maxKeys: 4 }),
});

/** Random choices for one normalization (fast-check's `gen()` is too slow for hundreds of draws). */
interface Choices {
  pick<T>(options: readonly T[]): T;
  shuffle<T>(items: readonly T[]): T[];
}
const choices = fc.infiniteStream(fc.nat()).map((stream): Choices => {
  const next = (bound: number): number => (stream.next().value as number) % bound;
  return {
    pick: (options) => options[next(options.length)] as (typeof options)[number],
    shuffle: (items) => {
      const copy = [...items];
      for (let i = copy.length - 1; i > 0; i -= 1) {
        const j = next(i + 1);
        [copy[i], copy[j]] = [copy[j] as (typeof copy)[number], copy[i] as (typeof copy)[number]];
      }
      return copy;
    },
  };
});
const coin = (random: Choices): boolean => random.pick([true, false]);

/** A copy of `value` as an API might store it: what compareSent must tolerate. */
function normalize(value: unknown, random: Choices): unknown {
  if (typeof value === 'string') {
    const isEmail = value.includes('@');
    let text = isEmail && coin(random) ? value.toLowerCase() : value;
    if (!isEmail && coin(random)) text = text.normalize('NFD');
    if (coin(random)) text = text.replace(/ /g, ' \t ');
    return coin(random) ? `  ${text}\n` : text;
  }
  if (typeof value === 'number') {
    const fixed = Number.isSafeInteger(value) ? value.toFixed(2) : String(value);
    return random.pick([value, String(value), ` ${String(value)} `, fixed]);
  }
  if (typeof value === 'boolean') return random.pick([value, String(value), String(value).toUpperCase()]);
  if (Array.isArray(value)) return random.shuffle(value.map((item) => normalize(item, random)));
  if (typeof value !== 'object' || value === null) return value;
  const dropped = (v: unknown): boolean => v === null && coin(random);
  const entries = Object.entries(value).flatMap(([k, v]) => (dropped(v) ? [] : [[k, normalize(v, random)]]));
  if (coin(random)) entries.push(['_id', 42], ['_default', null], ['_createdAt', '2026-01-01T00:00:00Z']);
  return Object.fromEntries(random.shuffle(entries));
}

type Segment = string | number;
function leafPaths(value: unknown, at: Segment[] = []): Segment[][] {
  if (Array.isArray(value)) return value.flatMap((item, i) => leafPaths(item, [...at, i]));
  if (typeof value !== 'object' || value === null) return value === null ? [] : [at];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...at, k]));
}
const pathText = (at: Segment[]): string =>
  at.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');

/** A value outside every tolerance: a different word, a different number, the other boolean. */
function changed(value: unknown): unknown {
  if (typeof value === 'string') return `${value}-x`;
  if (typeof value === 'number') return value + 1 !== value ? value + 1 : value / 2;
  return !value;
}

function withChange(value: unknown, at: Segment[]): unknown {
  const copy = structuredClone(value) as Record<Segment, unknown>;
  let parent = copy;
  for (const segment of at.slice(0, -1)) parent = parent[segment] as Record<Segment, unknown>;
  const last = at[at.length - 1] as Segment;
  parent[last] = changed(parent[last]);
  return copy;
}

describe('compareSent, property-based', () => {
  it('never says "different" for a normalized copy of what was sent', () => {
    fc.assert(
      fc.property(orderLike, choices, (sent, random) => {
        const stored = normalize(sent, random);
        expect(compareSent(sent, stored)).toEqual({ equal: true, differences: [] });
      }),
      { numRuns: 500 },
    );
  });

  it('reports the path of any one sent leaf changed beyond the tolerance', () => {
    fc.assert(
      fc.property(orderLike, choices, fc.nat(), (sent, random, pick) => {
        const paths = leafPaths(sent);
        const at = paths[pick % paths.length] as Segment[];
        const comparison = compareSent(withChange(sent, at), normalize(sent, random));
        expect(comparison.equal).toBe(false);
        expect(comparison.differences).toContain(pathText(at));
      }),
      { numRuns: 500 },
    );
  });

  it('takes any JSON value as equal to itself and leaves its inputs unchanged', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        const [copyA, copyB] = [structuredClone(a), structuredClone(b)];
        expect(compareSent(a, structuredClone(a)).equal).toBe(true);
        compareSent(a, b);
        expect([a, b]).toEqual([copyA, copyB]);
      }),
    );
  });

  it('never throws and reports differences exactly when unequal, on any input', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (a, b) => {
        const { equal, differences } = compareSent(a, b);
        expect(equal).toBe(differences.length === 0);
      }),
    );
  });
});
