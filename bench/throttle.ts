/**
 * Throttle benchmark: 40 GETs at concurrency 8 against a Django REST Framework-style throttle —
 * 5 requests per 1000 ms sliding window per key, refusals that say only `Retry-After` (whole
 * seconds), no budget header at all. For each client: wall time divided by the ideal the limit
 * allows ((ceil(40 / 5) - 1) windows), 429s received, and failed calls. Every client reads
 * Retry-After here, so got is measured fairly. Each client is first warmed up like in the
 * rate-limit benchmark.
 */
import { startRateLimitServer } from '../test/rate-limit-server.js';
import { printTable, runPool, timed } from './harness.js';
import { rateLimitClients } from './rate-limit.js';

const calls = 40;
const concurrency = 8;
const throttle = { limit: 5, windowMs: 1000 };
const idealMs = (Math.ceil(calls / throttle.limit) - 1) * throttle.windowMs;

/** Runs the throttle benchmark and returns its rows. */
export async function runThrottleBench(): Promise<Array<Record<string, string | number>>> {
  const rows: Array<Record<string, string | number>> = [];
  for (const [name, make] of rateLimitClients()) {
    const warm = await startRateLimitServer();
    const warmClient = make();
    await runPool(40, concurrency, () => warmClient.get(`${warm.url}/api/items/`, { authorization: 'Token warm' }));
    await warmClient.close?.();
    await warm.close();
    const api = await startRateLimitServer({ throttle });
    const client = make();
    const { result, ms } = await timed(() =>
      runPool(calls, concurrency, async () => {
        try {
          await client.get(`${api.url}/api/items/`, { authorization: 'Token bench' });
          return true;
        } catch {
          return false;
        }
      }),
    );
    rows.push({
      client: name,
      'wall ms': ms,
      'ideal ms': idealMs,
      'wall / ideal': (ms / idealMs).toFixed(3),
      '429s received': api.tooManyRequests(),
      'failed calls': result.filter((ok) => !ok).length,
      requests: api.log.length,
    });
    await client.close?.();
    await api.close();
  }
  return rows;
}

/** One paragraph saying what the throttle benchmark runs. */
export function describeThrottleBench(): string {
  return `${calls} GETs, concurrency ${concurrency}, DRF-style throttle ${throttle.limit} per ${throttle.windowMs} ms sliding window, 429s with Retry-After only; ideal ${idealMs} ms\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(describeThrottleBench());
  printTable(await runThrottleBench());
}
