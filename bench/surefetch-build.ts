/**
 * Which surefetch the speed benchmarks measure: the package as built (`dist/`, what users
 * install; `npm run bench` builds it first), or the TypeScript sources run through tsx with
 * `BENCH_SUREFETCH=src`. tsx wraps every function it compiles to keep its name (`__name`), which
 * costs surefetch, and none of the peers (plain JavaScript from node_modules), time per call on
 * closures made per call; measuring the build leaves that artifact out.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Surefetch = typeof import('../src/index.js');

const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const fromSources = (): boolean => process.env.BENCH_SUREFETCH === 'src';

/** The surefetch module to measure (the build unless `BENCH_SUREFETCH=src`). */
export async function surefetchBuild(): Promise<Surefetch> {
  if (fromSources()) return import('../src/index.js');
  if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` first (npm run bench does)');
  return (await import(new URL('../dist/index.js', import.meta.url).href)) as Surefetch;
}

/** What {@link surefetchBuild} loads, for headings. */
export function surefetchBuildName(): string {
  return fromSources() ? 'src/ through tsx' : 'dist/, as published';
}
