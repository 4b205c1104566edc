// Node, Bun and Deno: `<runtime> smoke/cli.mjs <base URL> <tag>` prints one JSON line of results.
import { runSmoke } from './smoke.mjs';

const args = globalThis.Deno?.args ?? process.argv.slice(2);
const [base, tag = 'cli'] = args;
const results = await runSmoke(base, tag);
console.log(`SMOKE-RESULT ${JSON.stringify(results)}`);
