import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinModules } from 'node:module';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

beforeAll(() => {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
}, 120_000);

describe('the built package', () => {
  it('emits JavaScript with declaration files', () => {
    expect(existsSync(`${root}/dist/index.js`)).toBe(true);
    expect(existsSync(`${root}/dist/index.d.ts`)).toBe(true);
  });

  it('can be require()d from CommonJS on this Node (require of ESM)', () => {
    const script = `const s = require('surefetch'); console.log(JSON.stringify([typeof s.createFetch, typeof s.retry, typeof s.HttpError, process.version]))`;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const [createFetch, retry, httpError] = JSON.parse(out.trim().split('\n').at(-1) ?? '[]') as string[];
    expect([createFetch, retry, httpError]).toEqual(['function', 'function', 'function']);
  });

  it('can be imported from ESM by its package name', () => {
    const script = `import('surefetch').then((s) => console.log(typeof s.createFetch))`;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' });
    expect(out.trim()).toBe('function');
  });

  it('keeps the root entry free of Node built-ins and of the optional peers (clients, queues, stores)', () => {
    const bare = new Set<string>();
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const code = readFileSync(file, 'utf8');
      for (const [, specifier = ''] of code.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]/g)) {
        if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
        else bare.add(specifier);
      }
    };
    visit(`${root}/dist/index.js`);
    expect(seen.size).toBeGreaterThan(20);
    // Node-only globals a bundler does not see: Buffer, and a timer's unref() called unguarded
    // (in a browser setTimeout gives a number). The smoke suite caught both in Chromium.
    const nodeGlobals = [...seen].flatMap((file) =>
      [...withoutComments(readFileSync(file, 'utf8')).matchAll(/\bBuffer\.\w+|\)\.unref\(\)|process\.\w+/g)].map((match) => `${file.slice(root.length)}: ${match[0]}`),
    );
    expect(nodeGlobals).toEqual([]);
    // Web APIs only: no node:crypto, no Buffer, no ioredis, bottleneck's light build.
    expect([...bare].sort()).toEqual(['@noble/hashes/sha2.js', '@noble/hashes/utils.js', 'bottleneck/light.js', 'is-network-error', 'keyv', 'p-retry']);
  });

  it('bundles the root entry for a browser with no Node built-in in it', async () => {
    const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
    const result = await build({ entryPoints: [`${root}/dist/index.js`], bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
    expect(result.errors).toEqual([]);
    const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports.map((entry) => entry.path));
    expect(imports.filter((path) => builtins.has(path))).toEqual([]);
    // @keyv/serialize (keyv's, for memoryStore) imports `buffer`: the npm polyfill, a dependency, is bundled instead of Node's.
    const packages = new Set(Object.keys(result.metafile.inputs).map((path) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1]).filter(Boolean));
    expect([...packages].sort()).toEqual(['@keyv/serialize', '@noble/hashes', 'base64-js', 'bottleneck', 'buffer', 'ieee754', 'is-network-error', 'keyv', 'p-retry']);
  });
});

/** The code of a module without its comments (examples in doc comments mention `process.env`). */
function withoutComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"])\/\/.*$/gm, '$1');
}
