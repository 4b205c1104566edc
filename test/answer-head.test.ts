/**
 * On Node's own fetch the send reads what the layers need of an answer's head (rate-limit
 * fields present or not, the `Date`) from undici's raw header list as it comes in
 * (src/pipeline/answer-head.ts), and rateLimit reads that instead of the `Headers`. A raw TCP
 * server writes heads the bundled emulator never does (upper and mixed case, duplicated and
 * padded dates, names that share a length or first letter with the ones read, policy or
 * resource fields alone, Latin-1 values): what the head says must be what the `Headers` say,
 * and rateLimit must learn from such a head what it learns from the `Headers`.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetch, rateLimit, type Middleware } from '../src/index.js';
import { answerHeadOf, type AnswerHead } from '../src/core/send-tally.js';
import { carriesRateLimitFields } from '../src/verdict/rate-limit-headers.js';
import { probeAttemptDispatchers } from '../src/pipeline/attempt-dispatcher.js';

// Each request names the head to answer with: /head/<index>.
const heads: string[] = [
  'DATE: Fri, 04 Dec 2026 14:00:00 GMT\r\nX-RateLimit-Remaining: 5',
  'Date: Fri, 04 Dec 2026 14:00:00 GMT\r\nDnt: 1\r\nDave: x\r\ndate: Fri, 04 Dec 2026 14:00:01 GMT',
  'Date:    Fri, 04 Dec 2026 14:00:00 GMT   ',
  'X-RateLimit-Resource: core\r\nRateLimit-Policy: 100;w=60\r\nRateLimit-Used: 3',
  'Retry-After: 30',
  'rAtElImIt: "default";r=5;t=30',
  'x-rate-limit-remaining: 1',
  'X-Custom: caf\u00e9\r\nRequest-Id: abc\r\nRatelimit-Remainingx: 2\r\nx-ratelimit-remaining-minute: 7',
  'Content-Type: text/plain',
  'RATELIMIT-LIMIT: 10\r\nDATE: Fri, 04 Dec 2026 14:00:00 GMT\r\nRetry-After: 1',
];

let server: Server;
let url: string;
const sockets = new Set<Socket>();
beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    let seen = '';
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (!seen.includes('\r\n\r\n')) return;
      const index = Number(/GET \/head\/(\d+)/.exec(seen)?.[1] ?? 0);
      seen = '';
      socket.write(Buffer.from(`HTTP/1.1 200 OK\r\n${heads[index]}\r\ncontent-length: 2\r\n\r\nok`, 'latin1'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  expect(await probeAttemptDispatchers()).toBe(true);
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

// A layer that keeps, per answer, the head the send read and what the Headers say.
function headReader(): { layer: Middleware; read: Array<{ head: AnswerHead | undefined; fromHeaders: AnswerHead }> } {
  const read: Array<{ head: AnswerHead | undefined; fromHeaders: AnswerHead }> = [];
  const layer: Middleware = async (ctx, next) => {
    const response = await next(ctx);
    read.push({ head: answerHeadOf(ctx.sends, response), fromHeaders: { rateLimitFields: carriesRateLimitFields(response.headers), date: response.headers.get('date') } });
    return response;
  };
  return { layer, read };
}

describe('the head of an answer, as the send reads it', () => {
  it('says what the Headers say, for heads of every case, duplicate, padding and near-miss name', async () => {
    const { layer, read } = headReader();
    const sureFetch = createFetch({ middleware: [layer] });
    for (let index = 0; index < heads.length; index += 1) await (await sureFetch(`${url}/head/${index}`)).text();
    expect(read).toHaveLength(heads.length);
    for (const { head, fromHeaders } of read) expect(head).toEqual(fromHeaders);
    // The heads do differ: some carry fields and some not, with and without a Date.
    expect(read.map(({ head }) => head?.rateLimitFields)).toEqual([true, false, false, false, true, true, true, false, false, true]);
    expect(read[1]?.head?.date).toBe('Fri, 04 Dec 2026 14:00:00 GMT, Fri, 04 Dec 2026 14:00:01 GMT');
  });

  it('is not used for an answer the send did not read (a fetch of the caller\'s own)', async () => {
    const { layer, read } = headReader();
    const sureFetch = createFetch({ fetch: (input, init) => fetch(input, init), middleware: [layer] });
    await (await sureFetch(`${url}/head/0`)).text();
    expect(read[0]?.head).toBeUndefined();
  });
});

describe('rateLimit reading an upper-case head', () => {
  it('learns the budget X-RATELIMIT-* report, as from the Headers', async () => {
    const reset = Math.ceil(Date.now() / 1000) + 60;
    heads.push(`X-RATELIMIT-LIMIT: 10\r\nX-RATELIMIT-REMAINING: 4\r\nX-RATELIMIT-RESET: ${reset}`);
    const limit = rateLimit();
    const sureFetch = createFetch({ middleware: [limit] });
    const path = `${url}/head/${heads.length - 1}`;
    await (await sureFetch(path)).text();
    const limiter = await limit.limiterFor({ url: path, method: 'GET', headers: new Headers(), body: null, replayable: true, options: {} } as never);
    expect(await limiter.store.snapshot()).toMatchObject({ limit: 10, remaining: 4 });
    await limit.close();
  });
});
