/**
 * Sub-second windows: 200 GETs at concurrency 8 against a fixed window of 10 requests per
 * 250 ms, the window's end stated four ways. What each costs is wall time / the ideal the limit
 * allows ((ceil(200 / 10) - 1) windows of 250 ms), and 429s. surefetch reads delta seconds with
 * their decimals, structured fields with theirs, and absolute times on the server's clock
 * measured from `Date`; a reset in whole seconds is all a client can know, and costs most.
 * (No peer paces a window at all, so only surefetch runs here; the 1 s window benches compare.)
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFetch, rateLimit, retry } from 'surefetch';
import { printTable, runPool, timed } from './harness.js';

const calls = 200;
const concurrency = 8;
const limit = 10;
const windowMs = 250;
const idealMs = (Math.ceil(calls / limit) - 1) * windowMs;

type Variant = readonly [string, (left: number, endsAt: number, windowLeftMs: number) => Record<string, string>];

const variants: readonly Variant[] = [
  ['RateLimit-Reset: whole seconds, rounded up', (left, _end, leftMs) => ({ 'RateLimit-Limit': String(limit), 'RateLimit-Remaining': String(left), 'RateLimit-Reset': String(Math.max(1, Math.ceil(leftMs / 1000))) })],
  ['RateLimit-Reset: decimal seconds (ms)', (left, _end, leftMs) => ({ 'RateLimit-Limit': String(limit), 'RateLimit-Remaining': String(left), 'RateLimit-Reset': (leftMs / 1000).toFixed(3) })],
  ['RateLimit (structured): t in decimal seconds', (left, _end, leftMs) => ({ RateLimit: `"default";r=${left};t=${(leftMs / 1000).toFixed(3)}`, 'RateLimit-Policy': `"default";q=${limit};w=1` })],
  ['X-RateLimit-Reset: epoch seconds with ms + Date', (left, end) => ({ 'X-RateLimit-Limit': String(limit), 'X-RateLimit-Remaining': String(left), 'X-RateLimit-Reset': (end / 1000).toFixed(3) })],
];

async function startWindowServer(headersOf: Variant[1]): Promise<{ url: string; refused: () => number; close: () => Promise<void> }> {
  let window = { start: 0, used: 0 };
  let refused = 0;
  const server: Server = createServer((request, response) => {
    const now = Date.now();
    if (now >= window.start + windowMs) window = { start: now, used: 0 };
    const allowed = window.used < limit;
    if (allowed) window.used += 1;
    else refused += 1;
    const endsAt = window.start + windowMs;
    request.resume();
    response.writeHead(allowed ? 200 : 429, { 'content-type': 'application/json', ...headersOf(limit - window.used, endsAt, endsAt - now) });
    response.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    refused: () => refused,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** Runs each variant with a fresh limiter (warmed up on an unlimited server first) and returns its row. */
export async function runSubsecondBench(): Promise<Array<Record<string, string | number>>> {
  const rows: Array<Record<string, string | number>> = [];
  for (const [name, headersOf] of variants) {
    const limiter = rateLimit();
    const sureFetch = createFetch({ middleware: [retry(), limiter] });
    const warm = await startWindowServer(() => ({}));
    await runPool(40, concurrency, async () => (await sureFetch(`${warm.url}/warm`, { headers: { 'x-api-key': 'warm' } })).arrayBuffer());
    await warm.close();
    const api = await startWindowServer(headersOf);
    const { result, ms } = await timed(() =>
      runPool(calls, concurrency, async () => {
        const response = await sureFetch(`${api.url}/v1/items`, { headers: { 'x-api-key': 'bench' } }).catch(() => undefined);
        await response?.arrayBuffer();
        return response?.status === 200;
      }),
    );
    rows.push({
      'window end stated as': name,
      'wall ms': ms,
      'ideal ms': idealMs,
      'wall / ideal': (ms / idealMs).toFixed(3),
      'calls/s': Math.round((calls * 1000) / ms),
      'ideal calls/s': Math.round((limit * 1000) / windowMs),
      '429s': api.refused(),
      'failed calls': result.filter((ok) => !ok).length,
    });
    await limiter.close();
    await api.close();
  }
  return rows;
}

/** One paragraph saying what the sub-second benchmark runs. */
export function describeSubsecondBench(): string {
  return `${calls} GETs, concurrency ${concurrency}, server limit ${limit} per ${windowMs} ms fixed window; ideal ${idealMs} ms (${(limit * 1000) / windowMs} calls/s)\n`;
}
