/**
 * Found in review: a multipart body (as a proxy forwarding a client's upload would pass it on,
 * bytes plus the client's Content-Type) whose boundary occurs often with no blank line after it:
 * multipartTextFields searches for each part's blank line to the end of the body, so the cost
 * grows with parts x size. Real node:http server, one 400 answer.
 */
import { afterEach, expect, it } from 'vitest';
import { HttpError, createFetch, createManualClock } from '../src/index.js';
import { startEchoSecretsServer } from './hostile/echo-secrets.js';
import type { HostileServer } from './hostile/server.js';

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

// Not a speed target: a guard against a scan that grows with parts x size (1 MiB of it took 66 s).
it('a 4 MiB body of "--X" labelled boundary=X: one refused call ends within 5 s', async () => {
  server = await startEchoSecretsServer({ status: 400 });
  const body = new TextEncoder().encode('--X'.repeat(Math.floor((4 * 1024 * 1024) / 3)));
  const sureFetch = createFetch({ clock: createManualClock() });
  const t = performance.now();
  const error = await sureFetch(`${server.url}/v1/upload`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=X' }, body }).catch((e: unknown) => e);
  const ms = performance.now() - t;
  expect(error).toBeInstanceOf(HttpError);
  expect(ms).toBeLessThan(5000);
}, 60_000);
