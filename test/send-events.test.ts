/**
 * Every request the server gets has one `attempt` and one `attempt-end` event, whichever layer
 * sent it. Before, only `retry` emitted them: rateLimit's re-send after a 429 was invisible
 * (the events read "attempt 1, wait, attempt-end 200" while the server had two requests), and a
 * pipeline without `retry` emitted none at all. Real local servers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CircuitOpenError, NetworkError, circuitBreaker, createFetch, rateLimit, retry, type SurefetchEvent } from '../src/index.js';
import { startHostileServer, type HostileServer } from './hostile/server.js';

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Answers each request with the next status of `statuses` (the last one repeats). */
async function answering(statuses: number[], headers: Record<string, string> = {}): Promise<HostileServer> {
  return startHostileServer((_seen, response) => {
    const status = statuses.length > 1 ? statuses.shift()! : statuses[0]!;
    response.writeHead(status, { 'content-type': 'application/json', ...(status === 429 ? { 'retry-after': '0' } : {}), ...headers });
    response.end('{"ok":true}');
  });
}

const sendEvents = (events: SurefetchEvent[]) =>
  events.filter((event) => event.type === 'attempt' || event.type === 'attempt-end').map((event) => ({
    type: event.type,
    attempt: event.attempt,
    send: event.type === 'attempt' || event.type === 'attempt-end' ? event.send : undefined,
    ...(event.type === 'attempt-end' ? { status: event.status, verdict: event.verdict } : {}),
  }));

describe('attempt events', () => {
  it('pair up with the requests the server got when rateLimit re-sends a 429 inside retry', async () => {
    server = await answering([429, 200]);
    const events: SurefetchEvent[] = [];
    const sureFetch = createFetch({ middleware: [retry(), rateLimit({ fallbackWaitMs: 5 })], onEvent: (event) => events.push(event) });
    expect((await sureFetch(`${server.url}/v1/orders`)).status).toBe(200);
    expect(server.requests).toHaveLength(2);
    expect(sendEvents(events)).toEqual([
      { type: 'attempt', attempt: 1, send: 1 },
      { type: 'attempt-end', attempt: 1, send: 1, status: 429, verdict: 'wait' },
      { type: 'attempt', attempt: 1, send: 2 },
      { type: 'attempt-end', attempt: 1, send: 2, status: 200, verdict: 'success' },
    ]);
  });

  it('are emitted by a pipeline without retry, and count retry\'s attempts and sends alike', async () => {
    server = await answering([200]);
    const events: SurefetchEvent[] = [];
    const bare = createFetch({ onEvent: (event) => events.push(event) });
    await (await bare(`${server.url}/v1/orders`)).text();
    expect(sendEvents(events)).toEqual([
      { type: 'attempt', attempt: 1, send: 1 },
      { type: 'attempt-end', attempt: 1, send: 1, status: 200, verdict: 'success' },
    ]);

    await server.close();
    server = await answering([503, 500, 200]);
    events.length = 0;
    const retrying = createFetch({ middleware: [retry({ baseDelayMs: 1 })], onEvent: (event) => events.push(event) });
    await (await retrying(`${server.url}/v1/orders`)).text();
    expect(server.requests).toHaveLength(3);
    expect(sendEvents(events).filter((event) => event.type === 'attempt-end')).toEqual([
      { type: 'attempt-end', attempt: 1, send: 1, status: 503, verdict: 'transient' },
      { type: 'attempt-end', attempt: 2, send: 2, status: 500, verdict: 'transient' },
      { type: 'attempt-end', attempt: 3, send: 3, status: 200, verdict: 'success' },
    ]);
  });

  it('end a send that failed with its typed error, and none is emitted for an attempt the open circuit kept from leaving', async () => {
    server = await answering([500]);
    const url = server.url;
    await server.close();
    server = undefined;
    const events: SurefetchEvent[] = [];
    const breaker = circuitBreaker({ failureThreshold: 1, halfOpenAfterMs: 60_000 });
    const sureFetch = createFetch({ middleware: [breaker], onEvent: (event) => events.push(event) });
    await expect(sureFetch(`${url}/v1/orders`)).rejects.toBeInstanceOf(NetworkError);
    expect(sendEvents(events)).toEqual([
      { type: 'attempt', attempt: 1, send: 1 },
      { type: 'attempt-end', attempt: 1, send: 1, status: undefined, verdict: 'transient' },
    ]);
    expect(events.find((event) => event.type === 'attempt-end')).toMatchObject({ errorCode: 'NETWORK_ERROR', sent: 'not-sent' });

    events.length = 0;
    await expect(sureFetch(`${url}/v1/orders`)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(sendEvents(events)).toEqual([]);
  });

  it('time the send alone: a wait before it is not in its durationMs', async () => {
    const events: SurefetchEvent[] = [];
    // The refusal names a 1 s wait; rateLimit sits it out before the re-send.
    server = await startHostileServer((seen, response) => {
      const first = server!.requests.indexOf(seen) === 0;
      response.writeHead(first ? 429 : 200, first ? { 'retry-after': '1' } : {});
      response.end();
    });
    const sureFetch = createFetch({ middleware: [retry(), rateLimit()], onEvent: (event) => events.push(event) });
    await (await sureFetch(`${server.url}/v1/orders`)).text();
    const wait = events.find((event) => event.type === 'wait');
    expect(wait?.type === 'wait' && wait.delayMs).toBeGreaterThan(500);
    const ends = events.filter((event) => event.type === 'attempt-end');
    expect(ends).toHaveLength(2);
    for (const end of ends) expect(end.type === 'attempt-end' && end.durationMs).toBeLessThan(500);
    // In order: the refusal ends, the wait is announced, the re-send leaves.
    expect(events.map((event) => event.type)).toEqual(['attempt', 'attempt-end', 'wait', 'attempt', 'attempt-end']);
  });

  it('keep the request\'s credentials out of the URL they carry', async () => {
    server = await answering([200]);
    const events: SurefetchEvent[] = [];
    const sureFetch = createFetch({ onEvent: (event) => events.push(event) });
    await (await sureFetch(`${server.url}/v1/orders?api_key=sk_live_abcdefghijklmnop`)).text();
    const sends = events.filter((event) => event.type === 'attempt' || event.type === 'attempt-end');
    expect(sends).toHaveLength(2);
    expect(JSON.stringify(sends)).not.toContain('sk_live_abcdefghijklmnop');
  });
});
