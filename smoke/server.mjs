// The smoke suite's local server: an API that fails on purpose (a 500, a 429 with Retry-After,
// a 400 with field details, an answer that never comes) with CORS for a page on another origin,
// and that page.
import { createServer } from 'node:http';

const cors = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': '*',
  'access-control-allow-headers': '*',
  // Without this a page cannot read Retry-After, and the wait would fall back to a guess.
  'access-control-expose-headers': '*',
};

/**
 * Starts the server on a free loopback port. `page` is the browser script (served at
 * /smoke.js, loaded by /). Resolves to `{ url, close }`.
 */
const html = '<!doctype html><meta charset="utf-8"><title>surefetch smoke</title><script type="module" src="/smoke.js"></script>';

export function startSmokeServer(page = '') {
  const seen = new Map();
  const stalled = new Map();
  const server = createServer((request, response) => {
    const send = (status, body, headers = {}) => {
      response.writeHead(status, { ...cors, 'content-type': 'application/json', ...headers });
      response.end(body === undefined ? undefined : JSON.stringify(body));
    };
    request.resume();
    if (request.method === 'OPTIONS') return send(204);
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    if (pathname === '/' || pathname === '/smoke.js') {
      response.writeHead(200, { 'content-type': pathname === '/' ? 'text/html' : 'text/javascript' });
      return response.end(pathname === '/' ? html : page);
    }
    const [, kind = '', name = ''] = pathname.split('/');
    // Never answers: only the client's timeout ends it (and /hung-up/<name> tells whether it did).
    if (kind === 'stall') {
      stalled.set(name, false);
      response.on('close', () => stalled.set(name, true));
      return undefined;
    }
    if (kind === 'hung-up') return send(200, { hungUp: stalled.get(name) === true });
    const first = seen.get(pathname);
    const attempt = (first?.attempt ?? 0) + 1;
    seen.set(pathname, { attempt, at: first?.at ?? Date.now() });
    const waitedMs = Date.now() - (first?.at ?? Date.now());
    if (kind === 'flaky') return attempt === 1 ? send(500, { message: 'injected fault' }) : send(200, { attempt });
    if (kind === 'limited') return attempt === 1 ? send(429, { message: 'slow down' }, { 'retry-after': '1' }) : send(200, { attempt, waitedMs });
    if (kind === 'create') return send(201, { attempt });
    if (kind === 'invalid') {
      const details = [{ field: 'sku', message: 'is required' }];
      return send(400, { success: false, error: { code: 'VALIDATION_ERROR', message: 'The order is invalid', details } });
    }
    return send(404, { message: 'no such smoke route' });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      const close = () => new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done());
      });
      resolve({ url: `http://127.0.0.1:${port}`, close });
    });
  });
}
