/** The demo's batch scenarios: a burst against a rate limit, and an outage behind a breaker. */
import { circuitBreaker, createFetch, rateLimit, retry } from 'surefetch';
import { startFulfillment } from '../test/emulator/fulfillment.js';

/** 60 list calls at once against an API allowing 20 per second, through the shared limiter. */
export async function burstAgainstRateLimit(): Promise<string> {
  const api = await startFulfillment({ rateLimit: { limit: 20, windowMs: 1000 } });
  const limit = rateLimit();
  const sureFetch = createFetch({ middleware: [retry(), limit] });
  try {
    const started = Date.now();
    const statuses = await Promise.all(
      Array.from({ length: 60 }, async (_, index) => {
        const response = await sureFetch(`${api.url}/v1/orders/list?campaignId=demo&email=burst-${index}@example.com`, { headers: { Authorization: `Bearer ${api.apiKey}` } });
        await response.body?.cancel();
        return response.status;
      }),
    );
    const ok = statuses.filter((status) => status === 200).length;
    return `burst: 60 calls at once, API allows 20 per 1000 ms -> ${ok}/60 succeeded in ${Date.now() - started} ms (ideal 2000 ms), ${api.stats.tooManyRequests} 429s received`;
  } finally {
    await limit.close();
    await api.close();
  }
}

/** 20 calls during a 1.5 s outage (503s without Retry-After), through retry and the breaker. */
export async function rideOutOutage(): Promise<string> {
  const api = await startFulfillment();
  const sureFetch = createFetch({ middleware: [retry({ maxWaits: 20 }), circuitBreaker({ halfOpenAfterMs: 500 })] });
  try {
    api.outage(1500, { status: 503 });
    const outageEnds = Date.now() + 1500;
    const statuses = await Promise.all(
      Array.from({ length: 20 }, async (_, index) => {
        const response = await sureFetch(`${api.url}/v1/orders/list?campaignId=demo&email=outage-${index}@example.com`, { headers: { Authorization: `Bearer ${api.apiKey}` }, surefetch: { deadlineMs: 10_000 } });
        await response.body?.cancel();
        return response.status;
      }),
    );
    const during = api.requests.filter((request) => request.time < outageEnds).length;
    return `outage: 20 calls during 1.5 s of 503s -> ${statuses.filter((status) => status === 200).length}/20 succeeded; ${(during / 20).toFixed(2)} requests per call reached the API during the outage`;
  } finally {
    await api.close();
  }
}
