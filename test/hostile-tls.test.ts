import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmbiguousOutcomeError, NetworkError, createFetch, createManualClock, retry, type SurefetchEvent } from '../src/index.js';
import { makeUntrustedChain, startTlsServer, type TlsHostileServer } from './hostile/tls.js';

let untrusted: TlsHostileServer;
let oldTls: TlsHostileServer;
beforeAll(async () => {
  const chain = makeUntrustedChain();
  untrusted = await startTlsServer(chain);
  oldTls = await startTlsServer(chain, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1' });
});
afterAll(async () => {
  await untrusted.close();
  await oldTls.close();
});

function recorded(): { sureFetch: ReturnType<typeof createFetch>; events: SurefetchEvent[] } {
  const events: SurefetchEvent[] = [];
  const sureFetch = createFetch({ middleware: [retry()], clock: createManualClock(), random: () => 0.5, onEvent: (event) => events.push(event) });
  return { sureFetch, events };
}
const attempts = (events: readonly SurefetchEvent[]): number => events.filter((event) => event.type === 'attempt').length;

describe('a TLS handshake that fails sent nothing', () => {
  it('fails a create behind an untrusted issuer (a TLS-inspecting proxy) as not sent, once, never as ambiguous', async () => {
    const { sureFetch, events } = recorded();
    const before = untrusted.connections();
    const error = await sureFetch(`${untrusted.url}/v1/orders/create`, { method: 'POST', body: '{"campaignId":"c"}' }).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(AmbiguousOutcomeError);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ sent: 'not-sent', causeCode: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' });
    expect(events.find((event) => event.type === 'attempt-end')).toMatchObject({ verdict: 'terminal', sent: 'not-sent' });
    expect(attempts(events)).toBe(1);
    expect(untrusted.connections() - before).toBe(1);
    expect(untrusted.requests).toHaveLength(0);
  });

  it('does not retry a GET whose certificate the client cannot verify', async () => {
    const { sureFetch, events } = recorded();
    const before = untrusted.connections();
    const error = await sureFetch(`${untrusted.url}/v1/orders/list`).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', sent: 'not-sent' });
    expect(attempts(events)).toBe(1);
    expect(untrusted.connections() - before).toBe(1);
  });

  it('fails a create against a server that speaks only TLS 1.0/1.1 as not sent and terminal', async () => {
    const { sureFetch, events } = recorded();
    const error = await sureFetch(`${oldTls.url}/v1/orders/create`, { method: 'POST', body: '{}' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).causeCode).toMatch(/^ERR_SSL_/);
    expect(error).toMatchObject({ sent: 'not-sent' });
    expect(attempts(events)).toBe(1);
    expect(oldTls.requests).toHaveLength(0);
  });
});
