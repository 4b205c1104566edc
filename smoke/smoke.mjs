// The smoke suite every runtime runs (Node, Bun, Deno, a browser): the built package against a
// real local server. It imports only the root entry, so it proves the root runs there.
import { AttemptTimeoutError, HttpError, circuitBreaker, createFetch, idempotency, rateLimit, retry } from '../dist/index.js';

/**
 * Runs the checks against the smoke server at `base`; `tag` keeps one runtime's paths apart.
 * Resolves to one `{ name, ok, detail }` per check; never rejects.
 */
export async function runSmoke(base, tag) {
  // The README's full pipeline, so every layer loads and runs in this runtime.
  const sureFetch = createFetch({
    middleware: [idempotency(), retry({ maxAttempts: 3, baseDelayMs: 50 }), circuitBreaker(), rateLimit()],
    maxWaitMs: 10_000,
  });
  const id = `${tag}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const checks = {
    'retry on 500': async () => {
      const body = await (await sureFetch(`${base}/flaky/${id}`)).json();
      if (body.attempt !== 2) throw new Error(`answered on attempt ${body.attempt}, expected 2 (one 500, then 200)`);
      return 'a 500, then a 200 on the second attempt';
    },
    'wait on 429 (Retry-After)': async () => {
      const body = await (await sureFetch(`${base}/limited/${id}`)).json();
      if (body.attempt !== 2) throw new Error(`answered on attempt ${body.attempt}, expected 2`);
      if (body.waitedMs < 900) throw new Error(`re-sent ${body.waitedMs} ms after a Retry-After: 1`);
      return `re-sent ${body.waitedMs} ms after Retry-After: 1`;
    },
    'typed error on 400': async () => {
      const error = await sureFetch(`${base}/invalid/${id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ quantity: 1 }),
        surefetch: { idempotencyScope: `order:${id}` },
      }).then(
        () => undefined,
        (reason) => reason,
      );
      if (!(error instanceof HttpError)) throw new Error(`expected an HttpError, got ${String(error)}`);
      const detail = error.details[0];
      if (error.status !== 400 || error.code !== 'VALIDATION_ERROR' || detail?.field !== 'sku') {
        throw new Error(`got status ${error.status}, code ${error.code}, details ${JSON.stringify(error.details)}`);
      }
      return `HttpError ${error.status} ${error.code}: ${detail.field} ${detail.message}`;
    },
    'attempt timeout on a stalled answer': async () => {
      // This runtime's own fetch, timed out however it is (Node: through its dispatcher; elsewhere
      // an AbortController's signal), must end the exchange.
      const started = Date.now();
      const error = await createFetch({ attemptTimeoutMs: 300 })(`${base}/stall/${id}`).then(() => undefined, (reason) => reason);
      if (!(error instanceof AttemptTimeoutError)) throw new Error(`expected an AttemptTimeoutError, got ${String(error)}`);
      let hungUp = false;
      for (let look = 0; look < 20 && !hungUp; look += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        hungUp = (await (await fetch(`${base}/hung-up/${id}`)).json()).hungUp;
      }
      if (!hungUp) throw new Error('the server still holds the timed-out request open');
      return `AttemptTimeoutError after ${Date.now() - started} ms, connection closed`;
    },
    'replay of a stored create': async () => {
      const create = () =>
        sureFetch(`${base}/create/${id}`, { method: 'POST', body: 'x', surefetch: { idempotencyScope: `create:${id}` } }).then((r) => r.json());
      const [first, second] = [await create(), await create()];
      if (first.attempt !== 1 || second.attempt !== 1) throw new Error(`sent ${second.attempt} times, expected once (the second replayed)`);
      return 'the second call replayed from the memory store';
    },
  };
  const results = [];
  for (const [name, check] of Object.entries(checks)) {
    try {
      results.push({ name, ok: true, detail: await check() });
    } catch (error) {
      results.push({ name, ok: false, detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    }
  }
  return results;
}
