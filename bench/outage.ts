/**
 * Outage benchmark: the emulated fulfillment API answers 503 without Retry-After for 3 s, then
 * recovers; 40 GETs start at once, each with a 20 s deadline. For each client: requests per
 * call sent during the outage, calls that succeeded, and when the last call finished.
 */
import got from 'got';
import ky from 'ky';
import { ofetch } from 'ofetch';
import { circuitBreaker, createFetch, retry } from 'surefetch';
import { startFulfillment } from '../test/emulator/fulfillment.js';
import { printTable, timed } from './harness.js';

const calls = 40;
const outageMs = 3000;
const deadlineMs = 20_000;

type GetClient = (url: string, headers: Record<string, string>) => Promise<unknown>;

const clients: Array<[string, () => GetClient]> = [
  [
    'surefetch (retry + circuitBreaker)',
    () => {
      const sureFetch = createFetch({ middleware: [retry({ maxWaits: 20 }), circuitBreaker()] });
      return async (url, headers) => (await sureFetch(url, { headers, surefetch: { deadlineMs } })).json();
    },
  ],
  ['ky (default retry: 2)', () => (url, headers) => ky.get(url, { headers, timeout: deadlineMs }).json()],
  ['ky (retry limit 10)', () => (url, headers) => ky.get(url, { headers, timeout: deadlineMs, retry: { limit: 10 } }).json()],
  ['got (default retry: 2)', () => (url, headers) => got.get(url, { headers, timeout: { request: deadlineMs } }).json()],
  ['got (retry limit 10)', () => (url, headers) => got.get(url, { headers, timeout: { request: deadlineMs }, retry: { limit: 10 } }).json()],
  ['ofetch (default retry: 1)', () => (url, headers) => ofetch(url, { headers, timeout: deadlineMs })],
  ['ofetch (retry 10, 500 ms delay)', () => (url, headers) => ofetch(url, { headers, timeout: deadlineMs, retry: 10, retryDelay: 500 })],
];

/** Runs the outage benchmark and returns its rows. */
export async function runOutageBench(): Promise<Array<Record<string, string | number>>> {
  const rows: Array<Record<string, string | number>> = [];
  for (const [name, make] of clients) {
    const api = await startFulfillment();
    const get = make();
    const headers = { Authorization: `Bearer ${api.apiKey}` };
    api.outage(outageMs, { status: 503 });
    const started = Date.now();
    const outageEnds = started + outageMs;
    const { result, ms } = await timed(() =>
      Promise.all(
        Array.from({ length: calls }, (_, index) =>
          get(`${api.url}/v1/orders/list?campaignId=outage&email=user-${index}@example.com`, headers).then(
            () => true,
            () => false,
          ),
        ),
      ),
    );
    const duringOutage = api.requests.filter((request) => request.time < outageEnds).length;
    rows.push({
      client: name,
      'requests/call during outage': (duringOutage / calls).toFixed(2),
      'requests total': api.stats.requests,
      succeeded: `${result.filter(Boolean).length}/${calls}`,
      'last call done ms': ms,
    });
    await api.close();
  }
  return rows;
}

/** One paragraph saying what the outage benchmark runs. */
export function describeOutageBench(): string {
  return `${calls} GETs started at once; 503 without Retry-After for ${outageMs} ms, then healthy; deadline ${deadlineMs} ms per call\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(describeOutageBench());
  printTable(await runOutageBench());
}
