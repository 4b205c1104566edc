/**
 * Parsing Structured Fields (RFC 8941/9651): surefetch's `structured-fields.ts` against the npm
 * package `structured-headers`, on the header shapes surefetch reads (RateLimit, RateLimit-Policy
 * and the draft -07 dictionary). Interleaved batches in one process; the median of each.
 */
import { parseDictionary, parseList } from 'structured-headers';
import { parseSfDictionary, parseSfList } from '../src/verdict/structured-fields.js';

const inputs: ReadonlyArray<[name: string, field: string, dictionary: boolean]> = [
  ['RateLimit', '"default";r=50;t=30', false],
  ['RateLimit-Policy', '"burst";q=100;w=60, "daily";q=1000;w=86400;pk=:cGsx:', false],
  ['RateLimit (draft -07)', 'limit=100, remaining=0, reset=30', true],
];
const BATCH = 2000;
const ROUNDS = 61;

function nsPerParse(parse: () => unknown): number {
  const start = performance.now();
  for (let i = 0; i < BATCH; i += 1) parse();
  return ((performance.now() - start) * 1e6) / BATCH;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/** One row per header shape: median ns per parse of each parser and their ratio. */
export function runStructuredFieldsBench(): Array<Record<string, string>> {
  return inputs.map(([name, field, dictionary]) => {
    const ours = dictionary ? () => parseSfDictionary(field) : () => parseSfList(field);
    const library = dictionary ? () => parseDictionary(field) : () => parseList(field);
    const [oursNs, libraryNs]: [number[], number[]] = [[], []];
    for (let round = 0; round < ROUNDS; round += 1) {
      // Alternate which goes first, so neither always runs on a warmer or quieter machine.
      if (round % 2 === 0) oursNs.push(nsPerParse(ours)), libraryNs.push(nsPerParse(library));
      else libraryNs.push(nsPerParse(library)), oursNs.push(nsPerParse(ours));
    }
    const [a, b] = [median(oursNs.slice(5)), median(libraryNs.slice(5))]; // the first rounds warm the JIT
    return { field: name, 'structured-fields.ts ns/parse': a.toFixed(0), 'structured-headers ns/parse': b.toFixed(0), 'structured-headers / ours': (b / a).toFixed(2) };
  });
}
