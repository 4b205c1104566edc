/**
 * Events: one `attempt`/`attempt-end` pair per request the API got, whichever layer sent it
 * (retry's attempts, rateLimit's re-send after a 429), with the request's own duration and
 * OpenTelemetry's resend count. Runs against the bundled emulation of the fulfillment API, and
 * fails if the events and the API's count of requests disagree.
 */
import { createFetch, otelAttributes, rateLimit, retry, type SurefetchEvent } from 'surefetch';
import { startFulfillment } from '../test/emulator/fulfillment.js';

/** One log line per event worth a line. */
function lineOf(event: SurefetchEvent): string | undefined {
  switch (event.type) {
    case 'attempt-end': {
      const outcome = event.status === undefined ? event.errorCode : `HTTP ${event.status}`;
      const resends = otelAttributes(event)['http.request.resend_count'];
      return `request ${event.send} (retry's attempt ${event.attempt}): ${outcome}, ${event.verdict}, ${event.durationMs} ms, resend_count ${resends}`;
    }
    case 'retry':
    case 'wait':
      return `${event.type} ${event.delayMs} ms`;
    default:
      return undefined;
  }
}

export async function main(): Promise<void> {
  const api = await startFulfillment();
  try {
    let attempts = 0;
    const sureFetch = createFetch({
      middleware: [retry({ baseDelayMs: 50 }), rateLimit()],
      onEvent: (event) => {
        if (event.type === 'attempt') attempts += 1;
        const line = lineOf(event);
        if (line !== undefined) console.log(`  ${line}`);
      },
    });
    // The list is refused once (429, come back at once: rateLimit re-sends it), then fails once (500: retry backs off).
    api.faults.script('GET /v1/orders/list', { kind: 'respond', status: 429, headers: { 'Retry-After': '0' } }, { kind: 'reject-500' });
    const before = api.stats.requests;
    const response = await sureFetch(`${api.url}/v1/orders/list?campaignId=spring&email=ada@example.com`, {
      headers: { Authorization: `Bearer ${api.apiKey}` },
    });
    await response.body?.cancel();
    const got = api.stats.requests - before;
    console.log(`HTTP ${response.status}; the API got ${got} requests, and ${attempts} attempt events were emitted`);
    if (got !== attempts) throw new Error(`the events counted ${attempts} requests, the API got ${got}`);
  } finally {
    await api.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
