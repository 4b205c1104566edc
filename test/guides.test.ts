import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const guidesDir = join(root, 'docs/guides');
const guides = readdirSync(guidesDir).filter((name) => name.endsWith('.md'));
const read = (path: string): string => readFileSync(path, 'utf8');

/** Every `.ts` file under `dir`, recursively. */
function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourcesUnder(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Every stable error code surefetch's source can produce. */
function codesInSource(): Set<string> {
  const codes = new Set<string>();
  for (const file of sourcesUnder(join(root, 'src'))) {
    // Comments hold examples of other codes (a system causeCode such as ECONNREFUSED): code only.
    const text = read(file).replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const [, code = ''] of text.matchAll(/super\(\s*'([A-Z][A-Z_]+)'/g)) codes.add(code);
    for (const [, code = ''] of text.matchAll(/\bcode: '([A-Z][A-Z_]+)'/g)) codes.add(code);
  }
  const idempotencyCodes = read(join(root, 'src/errors/idempotency-error.ts')).match(/export type IdempotencyErrorCode =([\s\S]*?);/)?.[1] ?? '';
  for (const [, code = ''] of idempotencyCodes.matchAll(/'([A-Z_]+)'/g)) codes.add(code);
  const errorBody = read(join(root, 'src/verdict/error-body.ts'));
  for (const [, code = ''] of errorBody.matchAll(/\d{3}: \['([A-Z_]+)'/g)) codes.add(code);
  for (const [, code = ''] of errorBody.matchAll(/return '([A-Z][A-Z_]+)'/g)) codes.add(code);
  return codes;
}

describe('the guides', () => {
  it('are all in the typedoc site', () => {
    const documents = (JSON.parse(read(join(root, 'typedoc.json'))) as { projectDocuments?: string[] }).projectDocuments ?? [];
    expect(guides.length).toBeGreaterThanOrEqual(4);
    expect([...documents].sort()).toEqual(guides.map((name) => `docs/guides/${name}`).sort());
  });

  it.each(guides)('%s has no inline code sample: every sample is included from a type-checked file', (name) => {
    expect(read(join(guidesDir, name))).not.toMatch(/```(ts|typescript|js|javascript|tsx)\b/);
  });

  it.each(guides)('%s includes only existing regions of files the typecheck covers', (name) => {
    const tsconfig = JSON.parse(read(join(root, 'tsconfig.json'))) as { include: string[] };
    const includes = [...read(join(guidesDir, name)).matchAll(/\{@includeCode ([^#}\s]+)(?:#([^}\s]+))?\}/g)];
    for (const [, target = '', regions] of includes) {
      const file = resolve(dirname(join(guidesDir, name)), target);
      expect(existsSync(file), `${target} exists`).toBe(true);
      const path = relative(root, file);
      expect(tsconfig.include.some((dir) => path.startsWith(`${dir}/`)), `${path} is type-checked`).toBe(true);
      const text = read(file);
      for (const region of regions?.split(',') ?? []) {
        expect(text, `${path} has region ${region}`).toContain(`// #region ${region}\n`);
        expect(text, `${path} closes region ${region}`).toContain(`// #endregion ${region}\n`);
      }
    }
  });

  it('troubleshooting explains every error code in src', () => {
    const guide = read(join(guidesDir, 'troubleshooting.md'));
    const codes = codesInSource();
    expect(codes.size).toBeGreaterThan(25);
    const missing = [...codes].filter((code) => !guide.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });
});
