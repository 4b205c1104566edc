/**
 * surefetch/opentelemetry against a real local server, with OpenTelemetry's own SDK: a tracer
 * provider exporting to memory, Node's AsyncLocalStorage context manager, a meter provider read
 * on demand. No global tracer or meter provider is registered: each test hands its tracer and
 * meter to the middleware, and the no-op test relies on there being none.
 */
import { context, SpanKind, SpanStatusCode, type Meter, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { DataPointType, MeterProvider, MetricReader, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AmbiguousOutcomeError, HttpError, byRoute, createFetch, fulfillmentOrders, idempotency, memoryStore, rateLimit, retry, type CallContext, type FetchFunction, type Middleware } from '../src/index.js';
import { openTelemetry } from '../src/opentelemetry.js';
import { startFulfillment } from './emulator/fulfillment.js';
import { startEchoSecretsServer } from './hostile/echo-secrets.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

const exporter = new InMemorySpanExporter();
const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('surefetch-test');

/** A reader that collects when asked (no timer). */
class OnDemandReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

let server: HostileServer | undefined;
beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  context.disable();
});
afterEach(async () => {
  exporter.reset();
  await server?.close();
  server = undefined;
});

type Answer = readonly [status: number, headers?: Record<string, string>, body?: string];

/** A server answering its requests with `answers` in turn, the last one from then on. */
async function scripted(...answers: Answer[]): Promise<HostileServer> {
  let next = 0;
  server = await startHostileServer((_seen, response) => {
    const [status, headers = {}, body = '{"ok":true}'] = answers[Math.min(next, answers.length - 1)] ?? [200];
    next += 1;
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(body);
  });
  return server;
}

function onlySpan(): ReadableSpan {
  const spans = exporter.getFinishedSpans();
  expect(spans).toHaveLength(1);
  return spans[0] as ReadableSpan;
}

const eventNames = (span: ReadableSpan): string[] => span.events.map((event) => event.name);

describe('surefetch/opentelemetry: one span per call', () => {
  it("gives a GET answered 200 one span, CLIENT with spanKind 'client', with the HTTP attributes, status UNSET and its attempt events", async () => {
    const { url } = await scripted([200]);
    const sureFetch = createFetch({ middleware: [openTelemetry({ tracer, spanKind: 'client' }), retry()] });
    const response = await sureFetch(`${url}/v1/orders/list?page=2`);
    await response.body?.cancel();
    const span = onlySpan();
    expect(span.name).toBe('GET');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    const port = Number(new URL(url).port);
    expect(span.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.full': `${url}/v1/orders/list?page=2`,
      'server.address': '127.0.0.1',
      'server.port': port,
      'http.response.status_code': 200,
      'surefetch.operation': 'GET /v1/orders/list',
      'surefetch.verdict': 'success',
      'surefetch.sent': 'delivered',
      'surefetch.attempts': 1,
      'surefetch.outcome': 'success',
    });
    expect(span.attributes['surefetch.client_request_id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(span.attributes['http.request.resend_count']).toBeUndefined();
    expect(span.attributes['error.type']).toBeUndefined();
    expect(eventNames(span)).toEqual(['surefetch.attempt', 'surefetch.attempt-end']);
    expect(span.events[1]?.attributes).toMatchObject({ 'http.response.status_code': 200, 'surefetch.verdict': 'success' });
  });

  it('names the span after a matched route rule, its path as url.template', async () => {
    const { url } = await scripted([200]);
    const sureFetch = createFetch({ middleware: [openTelemetry({ tracer })], routes: [{ method: 'GET', path: '/v1/orders/:id' }] });
    await (await sureFetch(`${url}/v1/orders/ord_42`)).body?.cancel();
    const span = onlySpan();
    expect(span.name).toBe('GET /v1/orders/:id');
    expect(span.attributes['url.template']).toBe('/v1/orders/:id');
  });

  it('covers a 503 and its retry with one span, resend_count 1, ending after the second answer', async () => {
    const { url, requests } = await scripted([503], [200]);
    const sureFetch = createFetch({ middleware: [openTelemetry({ tracer }), retry({ baseDelayMs: 5 })] });
    const response = await sureFetch(`${url}/v1/orders/list`);
    expect(requests).toHaveLength(2);
    await response.body?.cancel();
    const span = onlySpan();
    expect(span.attributes).toMatchObject({ 'http.request.resend_count': 1, 'surefetch.attempts': 2, 'http.response.status_code': 200 });
    expect(eventNames(span)).toEqual(['surefetch.attempt', 'surefetch.attempt-end', 'surefetch.retry', 'surefetch.attempt', 'surefetch.attempt-end']);
    const ends = span.events.filter((event) => event.name === 'surefetch.attempt-end');
    expect(ends.map((event) => event.attributes?.['http.response.status_code'])).toEqual([503, 200]);
    // The span ends with the second answer: after its attempt-end event.
    const lastEvent = span.events.at(-1)?.time ?? [0, 0];
    expect(span.endTime[0] * 1e9 + span.endTime[1]).toBeGreaterThanOrEqual(lastEvent[0] * 1e9 + lastEvent[1]);
  });

  it('puts rateLimit\'s wait for a 429\'s Retry-After on the span as a wait event', async () => {
    // A Retry-After of 0 is re-sent with no wait to announce: 1 s is the shortest that waits.
    const { url } = await scripted([429, { 'retry-after': '1' }], [200]);
    const limit = rateLimit();
    const sureFetch = createFetch({ middleware: [openTelemetry({ tracer }), retry(), limit] });
    try {
      await (await sureFetch(`${url}/v1/orders/list`)).body?.cancel();
    } finally {
      await limit.close();
    }
    const span = onlySpan();
    const wait = span.events.find((event) => event.name === 'surefetch.wait');
    expect(wait?.attributes).toMatchObject({ 'surefetch.event': 'wait', 'surefetch.wait_source': 'retry-after' });
    expect(wait?.attributes?.['surefetch.delay_ms']).toBeGreaterThan(0);
    expect(span.attributes['http.request.resend_count']).toBe(1);
  });

  it("marks a 400 ERROR with error.type '400' and no description (the server's text stays off the span), and the call still rejects with the HttpError", async () => {
    const { url } = await scripted([400, {}, '{"message":"email is invalid"}']);
    const sureFetch = createFetch({ middleware: [openTelemetry({ tracer }), retry()] });
    const error = await sureFetch(`${url}/v1/orders/create`, { method: 'POST', body: '{}' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(400);
    const span = onlySpan();
    expect(span.name).toBe('POST');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR });
    expect(JSON.stringify({ attributes: span.attributes, events: span.events })).not.toContain('email is invalid');
    expect(span.attributes).toMatchObject({ 'error.type': '400', 'http.response.status_code': 400, 'surefetch.verdict': 'terminal', 'surefetch.outcome': 'error' });
  });

  it('marks a 400 that reaches it as an answer (no retry layer) ERROR too, with no description', async () => {
    const { url } = await scripted([400]);
    const sureFetch = createFetch({ middleware: [openTelemetry({ tracer })] });
    await expect(sureFetch(`${url}/v1/orders/create`, { method: 'POST', body: '{}' })).rejects.toBeInstanceOf(HttpError);
    const span = onlySpan();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR });
    expect(span.attributes['error.type']).toBe('400');
  });

  it.each([
    ['a GET given up on as an HttpError', 'GET', HttpError, '500', undefined],
    // Its message names the operation, by default the method and the raw path, before createFetch scrubs it.
    ['a create left ambiguous', 'POST', AmbiguousOutcomeError, 'AMBIGUOUS_OUTCOME', 'may or may not have been applied'],
  ] as const)('puts no credential of the request anywhere in the exported span: %s, a server echoing them', async (_case, method, errorClass, errorType, message) => {
    const apiKey = 'sk_live_51Hq7xQ2eZvKYlo2C0ffee';
    const bearer = 'tok_9f8e7d6c5b4a39281706';
    server = await startEchoSecretsServer({ status: 500 });
    const sureFetch = createFetch({ middleware: [openTelemetry({ tracer }), retry({ baseDelayMs: 1, maxAttempts: 2 })] });
    // The token is in the path too: the default operation name (method and path) carries it.
    const error = await sureFetch(`${server.url}/v1/tokens/${bearer}/orders?api_key=${apiKey}&page=2`, {
      method,
      headers: { Authorization: `Bearer ${bearer}` },
      ...(method === 'POST' ? { body: '{"sku":"A-1"}' } : {}),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(errorClass);
    const span = onlySpan();
    expect(span.attributes['error.type']).toBe(errorType);
    if (message === undefined) expect(span.status).toEqual({ code: SpanStatusCode.ERROR });
    else expect(span.status.message).toContain(message);
    const exported = JSON.stringify({ name: span.name, attributes: span.attributes, events: span.events, status: span.status });
    expect(exported).toContain('api_key=[redacted]');
    expect(exported).toContain('surefetch.give-up');
    expect(exported).not.toContain(apiKey);
    expect(exported).not.toContain(bearer);
  });

  it('runs the chain with the call span active: a span the wrapped fetch starts is its child', async () => {
    const { url } = await scripted([200]);
    const fetchInSpan: FetchFunction = (input, init) =>
      tracer.startActiveSpan('wrapped fetch', (inner: Span) => globalThis.fetch(input, init).finally(() => inner.end()));
    const sureFetch = createFetch({ fetch: fetchInSpan, middleware: [openTelemetry({ tracer }), retry()] });
    await (await sureFetch(`${url}/v1/orders/list`)).body?.cancel();
    const spans = exporter.getFinishedSpans();
    const call = spans.find((span) => span.name === 'GET');
    const inner = spans.find((span) => span.name === 'wrapped fetch');
    expect(call).toBeDefined();
    expect(inner?.parentSpanContext?.spanId).toBe(call?.spanContext().spanId);
    expect(inner?.spanContext().traceId).toBe(call?.spanContext().traceId);
    expect(server?.requests).toHaveLength(1);
  });

  it('by default, the call span is INTERNAL and a per-request CLIENT span below it is its child', async () => {
    const { url } = await scripted([503], [200]);
    // What undici's instrumentation does for each request fetch sends: a CLIENT span of its own.
    const perRequest: FetchFunction = (input, init) =>
      tracer.startActiveSpan('GET', { kind: SpanKind.CLIENT }, (inner: Span) => globalThis.fetch(input, init).finally(() => inner.end()));
    const sureFetch = createFetch({ fetch: perRequest, middleware: [openTelemetry({ tracer }), retry({ baseDelayMs: 1 })] });
    await (await sureFetch(`${url}/v1/orders/list`)).body?.cancel();
    const spans = exporter.getFinishedSpans();
    const call = spans.find((span) => span.kind === SpanKind.INTERNAL);
    const requests = spans.filter((span) => span.kind === SpanKind.CLIENT);
    expect(call?.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.response.status_code': 200, 'http.request.resend_count': 1 });
    expect(requests).toHaveLength(2);
    for (const request of requests) expect(request.parentSpanContext?.spanId).toBe(call?.spanContext().spanId);
    expect(server?.requests).toHaveLength(2);
  });

  it('keeps a call\'s answer when every method of the tracer throws', async () => {
    const { url } = await scripted([200]);
    const broken = new Proxy({}, { get: () => () => { throw new Error('tracer down'); } }) as Tracer;
    const sureFetch = createFetch({ middleware: [openTelemetry({ tracer: broken }), retry()] });
    const response = await sureFetch(`${url}/v1/orders/list`);
    expect(await response.json()).toEqual({ ok: true });
  });

  it.each([['every method but isRecording', null], ['addEvent', 'addEvent'], ['setStatus', 'setStatus'], ['end', 'end']])(
    'keeps a call\'s outcome when %s of the span throws',
    async (_case, only) => {
      const { url } = await scripted([503], [200], [400]);
      // A real span, but for the methods that throw.
      const breaking = (span: Span): Span =>
        new Proxy(span, {
          get: (target, name, receiver) => {
            const value: unknown = Reflect.get(target, name, receiver);
            if (typeof value !== 'function' || name === 'isRecording' || (only !== null && name !== only)) return typeof value === 'function' ? value.bind(target) : value;
            return () => {
              throw new Error('span down');
            };
          },
        });
      const brokenTracer = { startSpan: (...args: Parameters<Tracer['startSpan']>) => breaking(tracer.startSpan(...args)) } as unknown as Tracer;
      const sureFetch = createFetch({ middleware: [openTelemetry({ tracer: brokenTracer }), retry({ baseDelayMs: 1 })] });
      const response = await sureFetch(`${url}/v1/orders/list`);
      expect(await response.json()).toEqual({ ok: true });
      await expect(sureFetch(`${url}/v1/orders/list`)).rejects.toBeInstanceOf(HttpError);
    },
  );
});

describe('surefetch/opentelemetry: how a call ends', () => {
  it('ends the span once with a layer below that answers with a plain Response, as createFetch takes one', async () => {
    const plain = (() => new Response('cached', { status: 200 })) as unknown as Middleware;
    const sureFetch = createFetch({ middleware: [openTelemetry({ tracer }), plain] });
    expect(await (await sureFetch('http://127.0.0.1:9/v1/orders/list')).text()).toBe('cached');
    expect(onlySpan().attributes['surefetch.outcome']).toBe('success');
  });

  it('ends the span once, ERROR AbortError, when the caller aborts during a backoff', async () => {
    const { url } = await scripted([503], [200]);
    const sureFetch = createFetch({ middleware: [openTelemetry({ tracer }), retry({ baseDelayMs: 5000 })] });
    const caller = new AbortController();
    const call = sureFetch(`${url}/v1/orders/list`, { signal: caller.signal });
    setTimeout(() => caller.abort(), 100);
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    const span = onlySpan();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({ 'error.type': 'AbortError', 'http.response.status_code': 503 });
    expect(eventNames(span)).toContain('surefetch.retry');
  });

  it('keeps the span events when a histogram throws: the instrument loses its point, nothing else', async () => {
    const { url } = await scripted([200]);
    const throwing = { record: () => { throw new Error('meter down'); } };
    const meter = { createHistogram: () => throwing } as unknown as Meter;
    const sureFetch = createFetch({ middleware: [openTelemetry({ tracer, meter })] });
    await (await sureFetch(`${url}/v1/orders/list`)).body?.cancel();
    expect(eventNames(onlySpan())).toEqual(['surefetch.attempt', 'surefetch.attempt-end']);
  });
});

describe('surefetch/opentelemetry: metrics', () => {
  it('records http.client.request.duration per request and surefetch.call.duration per call', async () => {
    const { url } = await scripted([503], [200]);
    const reader = new OnDemandReader();
    const meter = new MeterProvider({ readers: [reader] }).getMeter('surefetch-test');
    const sureFetch = createFetch({ middleware: [openTelemetry({ tracer, meter }), retry({ baseDelayMs: 5 })] });
    await (await sureFetch(`${url}/v1/orders/list`)).body?.cancel();
    const { resourceMetrics } = await reader.collect();
    const metrics = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics) as HistogramMetricData[];
    const requests = metrics.find((metric) => metric.descriptor.name === 'http.client.request.duration');
    const calls = metrics.find((metric) => metric.descriptor.name === 'surefetch.call.duration');
    expect(requests?.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(requests?.descriptor.unit).toBe('s');
    const port = Number(new URL(url).port);
    const byStatus = Object.fromEntries((requests?.dataPoints ?? []).map((point) => [point.attributes['http.response.status_code'], point]));
    expect(Object.keys(byStatus).sort()).toEqual(['200', '503']);
    expect(byStatus[503]?.attributes).toEqual({ 'http.request.method': 'GET', 'server.address': '127.0.0.1', 'server.port': port, 'http.response.status_code': 503, 'error.type': '503' });
    expect(byStatus[200]?.value.count).toBe(1);
    expect(byStatus[503]?.value.count).toBe(1);
    expect(calls?.dataPoints).toHaveLength(1);
    expect(calls?.dataPoints[0]?.value.count).toBe(1);
    expect(calls?.dataPoints[0]?.attributes).toMatchObject({ 'http.response.status_code': 200, 'surefetch.outcome': 'success', 'surefetch.verdict': 'success', 'surefetch.sent': 'delivered' });
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });
});

describe('surefetch/opentelemetry outside idempotency', () => {
  it('covers an existence check\'s lookups with the create\'s span, and tells a recovered call from a replayed one', async () => {
    const api = await startFulfillment();
    const store = memoryStore();
    const reader = new OnDemandReader();
    const meter = new MeterProvider({ readers: [reader] }).getMeter('surefetch-test');
    try {
      const sureFetch = createFetch({ middleware: [openTelemetry({ tracer, meter }), idempotency({ store, existenceCheck: byRoute(fulfillmentOrders()) }), retry()] });
      const createOrder = (): Promise<Response> =>
        sureFetch(`${api.url}/v1/orders/create`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${api.apiKey}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({
            campaignId: 'spring',
            shipTo: { name: 'Ada', email: 'ada@example.com', address1: '1 Main St', city: 'Springfield', zip: '12345', country: 'US' },
            products: [{ sku: 'SKU-1', quantity: 1 }],
          }),
          surefetch: { idempotencyScope: 'job-42:create-order' },
        });
      api.faults.script('POST /v1/orders/create', { kind: 'commit-then-500' });
      await (await createOrder()).body?.cancel();
      await (await createOrder()).body?.cancel();
      expect(api.records.orders).toHaveLength(1);
      const [recovered, replayed] = exporter.getFinishedSpans();
      expect(recovered?.attributes).toMatchObject({ 'surefetch.outcome': 'recovered', 'surefetch.recovered_via': 'lookup', 'surefetch.attempts': 1 });
      expect(recovered?.attributes['surefetch.lookups']).toBeGreaterThanOrEqual(1);
      expect(recovered?.attributes['http.request.resend_count']).toBeUndefined();
      // The status a server sent (the POST's 500), not the 201 surefetch made up from the lookup.
      expect(recovered?.attributes['http.response.status_code']).toBe(500);
      expect(recovered?.status.code).toBe(SpanStatusCode.UNSET);
      expect(replayed?.attributes['http.response.status_code']).toBeUndefined();
      const lookupEnds = recovered?.events.filter((event) => event.name === 'surefetch.attempt-end' && event.attributes?.['surefetch.purpose'] === 'lookup') ?? [];
      expect(lookupEnds.length).toBe(recovered?.attributes['surefetch.lookups']);
      expect(replayed?.attributes).toMatchObject({ 'surefetch.outcome': 'replayed', 'surefetch.recovered_via': 'stored', 'surefetch.attempts': 0 });
      const { resourceMetrics } = await reader.collect();
      const requests = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((metric) => metric.descriptor.name === 'http.client.request.duration') as HistogramMetricData | undefined;
      const countOf = (method: string): number => (requests?.dataPoints ?? []).filter((point) => point.attributes['http.request.method'] === method).reduce((sum, point) => sum + point.value.count, 0);
      expect(countOf('POST')).toBe(1);
      expect(countOf('GET')).toBe(lookupEnds.length);
    } finally {
      await store.close();
      await api.close();
    }
  });
});

describe('surefetch/opentelemetry with no tracer provider registered', () => {
  it('lets calls through with the context as it was given, and throws nothing', async () => {
    const { url } = await scripted([503], [200]);
    const seen: CallContext[] = [];
    const capture: Middleware = (ctx, next) => {
      seen.push(ctx);
      return next(ctx);
    };
    // The default tracer is the global API's, a no-op: nothing to record, no event to build.
    const sureFetch = createFetch({ middleware: [capture, openTelemetry(), capture, retry({ baseDelayMs: 1 })] });
    const response = await sureFetch(`${url}/v1/orders/list`);
    expect(await response.json()).toEqual({ ok: true });
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBe(seen[0]);
    // The emitter went down untouched: the layer built no event (noEvents stays noEvents).
    expect(seen[1]?.emit).toBe(seen[0]?.emit);
  });
});
