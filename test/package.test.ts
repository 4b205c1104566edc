import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
});
