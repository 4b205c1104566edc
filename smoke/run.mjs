// `npm run smoke`: the smoke suite (smoke.mjs) in every runtime, each against a real local
// server: Node 20, Node 22, Bun, Deno and headless Chromium. One PASS/FAIL line per runtime,
// then `smoke: N passed, N failed`; exits non-zero on any failure. A runtime that cannot be
// started fails: nothing is skipped. Expects a built dist/ (`npm run smoke` builds it first).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { startSmokeServer } from './server.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = fileURLToPath(new URL('cli.mjs', import.meta.url));
const TIMEOUT_MS = 300_000; // npx may download the runtime first
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function exec(file, args) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: root, timeout: TIMEOUT_MS, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${[file, ...args].join(' ')}: ${error.message.split('\n')[0]}\n${stderr.trim().split('\n').slice(-8).join('\n')}`));
      else resolve(stdout);
    });
  });
}

// Node of one major version: this one if it matches, else the npm package `node@<major>`.
async function nodeOf(major) {
  if (process.versions.node.split('.')[0] === String(major)) return process.execPath;
  return (await exec('npx', ['-y', `node@${major}`, '-p', 'process.execPath'])).trim();
}

async function inProcess(file, args, tag, base) {
  const stdout = await exec(file, [...args, cli, base, tag]);
  const line = stdout.split('\n').find((text) => text.startsWith('SMOKE-RESULT '));
  if (line === undefined) throw new Error(`printed no results:\n${stdout.trim().split('\n').slice(-8).join('\n')}`);
  return JSON.parse(line.slice('SMOKE-RESULT '.length));
}

async function inChromium(pageUrl, api) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 60_000 });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${pageUrl}/?api=${encodeURIComponent(api)}`);
    await page.waitForFunction(() => globalThis.smokeResults !== undefined, undefined, { timeout: 30_000 }).catch(() => {
      throw new Error(`the page did not start the suite: ${errors.join('; ') || 'no page error'}`);
    });
    return { version: browser.version(), results: await page.evaluate(() => globalThis.smokeResults) };
  } finally {
    await browser.close();
  }
}

const bundled = await build({ entryPoints: [fileURLToPath(new URL('browser.mjs', import.meta.url))], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'error' });
const api = await startSmokeServer();
const site = await startSmokeServer(bundled.outputFiles[0].text); // another origin than the API's

const runtimes = [
  ['Node 20', async (tag) => inProcess(await nodeOf(20), [], tag, api.url)],
  ['Node 22', async (tag) => inProcess(await nodeOf(22), [], tag, api.url)],
  ['Bun', (tag) => inProcess('npx', ['-y', 'bun'], tag, api.url)],
  ['Deno', (tag) => inProcess('npx', ['-y', 'deno', 'run', '-A'], tag, api.url)],
  ['Chromium (headless)', async () => (await inChromium(site.url, api.url)).results],
];
const only = process.env.SMOKE_ONLY?.toLowerCase();
let [passed, failed] = [0, 0];
for (const [name, run] of runtimes) {
  if (only !== undefined && !name.toLowerCase().includes(only)) continue;
  const started = Date.now();
  let results;
  try {
    results = await run(name.toLowerCase().replace(/\W+/g, '-'));
  } catch (error) {
    results = [{ name: 'start the runtime', ok: false, detail: error instanceof Error ? error.message : String(error) }];
  }
  const ok = results.length > 0 && results.every((result) => result.ok);
  ok ? (passed += 1) : (failed += 1);
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name} (${results.filter((result) => result.ok).length}/${results.length} checks, ${Date.now() - started} ms)`);
  for (const result of results) console.log(`      ${result.ok ? 'ok  ' : 'FAIL'} ${result.name}: ${result.detail}`);
}
await Promise.all([api.close(), site.close()]);
console.log(`smoke: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
