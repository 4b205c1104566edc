import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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
    // node:crypto (createHash in rate-limit/limiter) is the one built-in the root still loads; no other may join it.
    expect([...bare].sort()).toEqual(['bottleneck', 'is-network-error', 'keyv', 'node:crypto', 'p-retry']);
  });
});
