/**
 * The parts of src/ are layered: each folder imports only from itself and the folders before it
 * in `layers` (type-only imports included), and only the public entries at the root of src/ may
 * import from anywhere. A file stays under 250 lines.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The parts, from the ground up: the order a reader meets them in README's architecture section. */
const layers = ['core', 'errors', 'verdict', 'store', 'pipeline', 'rate-limit', 'retry', 'idempotency', 'observability', 'recipes', 'clients', 'queues'];
const src = resolve(import.meta.dirname, '../src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}
const layerOf = (file: string): string | undefined => {
  const [first, ...rest] = relative(src, file).split('/');
  return rest.length === 0 ? undefined : first;
};
const importsOf = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((match) => resolve(dirname(file), match[1] ?? ''));

describe('src layout', () => {
  const files = sources(src);
  it('has every file in a known part folder, or at the root as a public entry', () => {
    const unknown = files.map(layerOf).filter((layer): layer is string => layer !== undefined && !layers.includes(layer));
    expect(unknown).toEqual([]);
  });
  it('imports only downwards: from the same part or one listed before it', () => {
    const upward: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      if (from === undefined) continue;
      for (const target of importsOf(file)) {
        const to = layerOf(target);
        if (to === undefined || layers.indexOf(to) > layers.indexOf(from)) upward.push(`${relative(src, file)} -> ${relative(src, target)}`);
      }
    }
    expect(upward).toEqual([]);
  });
  it('keeps every file under 250 lines', () => {
    const long = files.filter((file) => readFileSync(file, 'utf8').split('\n').length > 250).map((file) => relative(src, file));
    expect(long).toEqual([]);
  });
});
