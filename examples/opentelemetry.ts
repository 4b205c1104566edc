/**
 * surefetch/opentelemetry: one span per call, however many requests and waits it takes, with
 * surefetch's events on it, and the HTTP client duration metrics. Runs against the bundled
 * emulation of the fulfillment API with OpenTelemetry's SDK registered as an application would
 * (spans kept in memory here, where an application exports them), and fails if a call does not
 * make exactly one span or if the API key shows up in one.
 */
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { byRoute, createFetch, fulfillmentOrders, idempotency, memoryStore, rateLimit, retry } from 'surefetch';
import { openTelemetry } from 'surefetch/opentelemetry';
import { startFulfillment } from '../test/emulator/fulfillment.js';

/** A metric reader that collects when asked, for printing. */
class ReaderOnDemand extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** One span in a few lines: name, duration, its surefetch attributes, its events in order. */
function describeSpan(span: ReadableSpan): string {
  const ms = span.duration[0] * 1000 + span.duration[1] / 1e6;
  const { attributes: a } = span;
  const facts = [`status ${String(a['http.response.status_code'])}`, `outcome ${String(a['surefetch.outcome'])}`, `resend_count ${String(a['http.request.resend_count'] ?? 0)}`];
  if (a['surefetch.lookups'] !== undefined) facts.push(`lookups ${String(a['surefetch.lookups'])}`);
  // An existence check's reads, each an attempt and its end, are counted in one entry.
  const events: Array<[name: string, times: number]> = [];
  for (const event of span.events) {
    const lookup = event.attributes?.['surefetch.purpose'] === 'lookup';
    if (lookup && event.name === 'surefetch.attempt-end') continue;
    const name = lookup ? 'lookup' : event.name.replace('surefetch.', '');
    const last = events.at(-1);
    if (last?.[0] === name && lookup) last[1] += 1;
    else events.push([name, 1]);
  }
  const names = events.map(([name, times]) => (times === 1 ? name : `${name} x${times}`));
  return `span "${span.name}" ${ms.toFixed(0)} ms, ${String(a['url.full'])}: ${facts.join(', ')}\n    events: ${names.join(' > ')}`;
}

export async function main(): Promise<void> {
  const exporter = new InMemorySpanExporter();
  const reader = new ReaderOnDemand();
  // What an application does once at startup (or the Node SDK does for it).
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  const api = await startFulfillment();
  const store = memoryStore();
  const limit = rateLimit();
  try {
    const sureFetch = createFetch({
      // First, so that its span covers idempotency's existence check and replay too.
      middleware: [openTelemetry({ meter: metrics.getMeter('surefetch') }), idempotency({ store, existenceCheck: byRoute(fulfillmentOrders()) }), retry({ baseDelayMs: 50 }), limit],
    });
    const headers = { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' };
    // The list is refused once with a 429 (rateLimit waits out its Retry-After and sends it again).
    api.faults.script('GET /v1/orders/list', { kind: 'respond', status: 429, headers: { 'Retry-After': '1' } });
    await (await sureFetch(`${api.url}/v1/orders/list?campaignId=spring`, { headers })).body?.cancel();
    // The create commits, then its answer is a 500: the existence check finds the order.
    api.faults.script('POST /v1/orders/create', { kind: 'commit-then-500' });
    const order = {
      campaignId: 'spring',
      shipTo: { name: 'Ada', email: 'ada@example.com', address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' },
      products: [{ sku: 'SKU-1', quantity: 1 }],
    };
    await (await sureFetch(`${api.url}/v1/orders/create`, { method: 'POST', headers, body: JSON.stringify(order), surefetch: { idempotencyScope: 'job-42:create-order' } })).body?.cancel();

    const spans = exporter.getFinishedSpans();
    for (const span of spans) console.log(`  ${describeSpan(span)}`);
    const { resourceMetrics } = await reader.collect();
    for (const metric of resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics)) {
      const points = metric.dataPoints as ReadonlyArray<{ readonly value: { readonly count?: number } }>;
      console.log(`  metric ${metric.descriptor.name}: ${points.reduce((sum, point) => sum + (point.value.count ?? 0), 0)} measurements`);
    }
    if (spans.length !== 2) throw new Error(`expected one span per call (2), got ${spans.length}`);
    if (JSON.stringify(spans.map((span) => [span.attributes, span.events, span.status])).includes(api.apiKey)) throw new Error('the API key is in a span');
    if (api.records.orders.length !== 1) throw new Error(`expected exactly one order, the API holds ${api.records.orders.length}`);
  } finally {
    await limit.close();
    await store.close();
    await api.close();
    trace.disable();
    metrics.disable();
    context.disable();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
