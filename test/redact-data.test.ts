/**
 * `redactData` and `redactParams`: the walks over what a client's error holds as data (ofetch's
 * `error.data`, ky's `options.json`) and as query parameters (ofetch's `query`, ky's
 * `searchParams`), which the client adapters redact.
 */
import { describe, expect, it } from 'vitest';
import { redactData, redactParams } from '../src/core/redact-data.js';

const SECRET = 'sk_live_SECRETSECRET123456';
const PASSWORD = 'hunter2hunter2';

describe('redactData: the walk over parsed error data', () => {
  it('redacts strings and keys of arrays and plain objects, keeps other values, and turns a cycle or a throwing getter into [redacted]', () => {
    const json = (secret: string): string => `{"__proto__":{"note":"${secret}"},"list":["key ${secret}",1,null,true],"${secret}":2}`;
    const parsed = JSON.parse(json(SECRET)) as object;
    const date = new Date(0);
    const cyclic: Record<string, unknown> = { text: `bad ${PASSWORD}` };
    cyclic.self = cyclic;
    const throwing = Object.defineProperty({}, 'bad', {
      enumerable: true,
      get: () => {
        throw new Error('no');
      },
    });
    const out = redactData({ parsed, date, cyclic, throwing: [throwing] }, [SECRET, PASSWORD]) as Record<string, unknown>;
    expect(out).toEqual({
      parsed: JSON.parse(json('[redacted]')),
      date,
      cyclic: { text: 'bad [redacted]', self: '[redacted]' },
      throwing: ['[redacted]'],
    });
    expect(out.date).toBe(date);
    expect(redactData(throwing, [SECRET])).toBe('[redacted]');
  });

  it('copies a Map and a Set with their keys and entries redacted', () => {
    const out = redactData({ map: new Map([[SECRET, `bad ${SECRET}`]]), set: new Set([`bad ${PASSWORD}`, 3]) }, [SECRET, PASSWORD]) as Record<string, unknown>;
    expect(out.map).toEqual(new Map([['[redacted]', 'bad [redacted]']]));
    expect(out.set).toEqual(new Set(['bad [redacted]', 3]));
  });

  it('with others: redact, replaces an object that is not plain data by [redacted] and keeps a Date', () => {
    class Problem {
      readonly detail: string;
      constructor(detail: string) {
        this.detail = detail;
      }
    }
    const date = new Date(0);
    const out = redactData({ problem: new Problem(`bad ${SECRET}`), date, run: () => SECRET }, [SECRET], { others: 'redact' });
    expect(out).toEqual({ problem: '[redacted]', date, run: '[redacted]' });
    expect(redactData(new Problem(SECRET), [SECRET])).toBeInstanceOf(Problem);
  });

  it('redacts at most 1 Mi characters of text, keys included: a string past that is cut and ends in [truncated], and the entries after it become one [truncated] entry', () => {
    const mib = 1024 * 1024;
    const long = `${'a '.repeat(mib / 2 - 4)}key ${SECRET}`;
    expect(redactData(long, [SECRET])).toBe(`${'a '.repeat(mib / 2 - 4)}key [redacted][truncated]`);
    const out = redactData({ first: 'x'.repeat(mib - 5), [`k-${SECRET}`]: `bad ${SECRET}`, last: 'y' }, [SECRET]);
    expect(out).toEqual({ first: 'x'.repeat(mib - 5), '[truncated]': '[truncated]' });
  });
});

describe('redactParams: query parameters a client keeps in its options', () => {
  it('replaces the values of credential-named parameters by [redacted] in a record, pairs, URLSearchParams or a query string, and keeps the others', () => {
    expect(redactParams({ api_key: SECRET, access_token: [1, 2], page: 2, note: `bad ${PASSWORD}` }, [PASSWORD])).toEqual({
      api_key: '[redacted]',
      access_token: '[redacted]',
      page: 2,
      note: 'bad [redacted]',
    });
    expect(redactParams([['api_key', SECRET], ['page', '2']], [])).toEqual([['api_key', '[redacted]'], ['page', '2']]);
    expect(String(redactParams(new URLSearchParams({ token: SECRET, page: '2' }), []))).toBe('token=%5Bredacted%5D&page=2');
    expect(redactParams(`?sig=${SECRET}&page=2`, [])).toBe('?sig=[redacted]&page=2');
    expect(redactParams(`page=2&key=${SECRET}`, [])).toBe('page=2&key=[redacted]');
  });
});
