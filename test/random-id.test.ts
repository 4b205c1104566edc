import { describe, expect, it } from 'vitest';
import { randomId } from '../src/core/random-id.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('randomId (the default client request id)', () => {
  it('gives version 4 UUIDs in crypto.randomUUID format, 20,000 distinct across many draws of 256', () => {
    const ids = Array.from({ length: 20_000 }, () => randomId());
    for (const id of ids) expect(id).toMatch(UUID_V4);
    expect(new Set(ids).size).toBe(ids.length);
    expect(crypto.randomUUID()).toMatch(UUID_V4); // the format it stands in for
  });

  it('spreads every random hex digit evenly (no position stuck or biased)', () => {
    const count = 16_000;
    const ids = Array.from({ length: count }, () => randomId().replaceAll('-', ''));
    // Every position but the version digit (12) and the variant digit (16) is a free nibble.
    for (const position of [0, 5, 11, 13, 15, 17, 20, 31]) {
      const seen = new Array<number>(16).fill(0);
      for (const id of ids) seen[Number.parseInt(id[position]!, 16)]! += 1;
      // 1000 expected per digit; a uniform source stays far inside ±20% at this count.
      for (const n of seen) expect(Math.abs(n - count / 16)).toBeLessThan(200);
    }
  });
});
