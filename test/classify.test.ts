import { describe, expect, it } from 'vitest';
import { classifyError, classifyResponse } from '../src/verdict/classify.js';
import { AttemptTimeoutError, NetworkError, RetryLaterError } from '../src/errors/errors.js';
import { isIdempotentMethod, matchRoute } from '../src/core/routes.js';
import { causeCodeOf, sentStateOfCode, toNetworkError } from '../src/verdict/transport-error.js';

const now = Date.UTC(2026, 10, 25, 12, 0, 0);

describe('classifyResponse', () => {
  const cases: Array<[number, Record<string, string>, string, string]> = [
    [200, {}, 'success', 'delivered'],
    [201, {}, 'success', 'delivered'],
    [204, {}, 'success', 'delivered'],
    [400, {}, 'terminal', 'delivered'],
    [401, {}, 'terminal', 'delivered'],
    [403, {}, 'terminal', 'delivered'],
    [403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 30) }, 'wait', 'delivered'],
    [404, {}, 'terminal', 'delivered'],
    [408, {}, 'transient', 'delivered'],
    [409, {}, 'terminal', 'delivered'],
    [422, {}, 'terminal', 'delivered'],
    [425, {}, 'transient', 'delivered'],
    [429, {}, 'wait', 'delivered'],
    [429, { 'ratelimit-reset': '2' }, 'wait', 'delivered'],
    [500, {}, 'transient', 'ambiguous'],
    [501, {}, 'terminal', 'delivered'],
    [502, {}, 'transient', 'ambiguous'],
    [503, {}, 'transient', 'ambiguous'],
    [503, { 'retry-after': '5' }, 'wait', 'delivered'],
    [503, { 'retry-after': 'soon' }, 'transient', 'ambiguous'],
    [504, {}, 'transient', 'ambiguous'],
  ];
  it.each(cases)('HTTP %i %j is %s / %s', (status, headers, verdict, sent) => {
    const result = classifyResponse(status, new Headers(headers), undefined, now);
    expect(result.verdict).toBe(verdict);
    expect(result.sent).toBe(sent);
  });

  it('lets a route rule override the verdict of a status', () => {
    const route = { path: '/x', statusVerdicts: { 409: 'transient' as const } };
    expect(classifyResponse(409, new Headers(), route, now).verdict).toBe('transient');
    expect(classifyResponse(400, new Headers(), route, now).verdict).toBe('terminal');
  });
});

describe('classifyError', () => {
  const live = new AbortController().signal;
  const withCode = (code: string): TypeError => new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });

  const cases: Array<[string, string, string]> = [
    ['ECONNREFUSED', 'transient', 'not-sent'],
    ['ENOTFOUND', 'transient', 'not-sent'],
    ['EAI_AGAIN', 'transient', 'not-sent'],
    ['UND_ERR_CONNECT_TIMEOUT', 'transient', 'not-sent'],
    ['ECONNRESET', 'transient', 'ambiguous'],
    ['UND_ERR_SOCKET', 'transient', 'ambiguous'],
    ['UND_ERR_HEADERS_TIMEOUT', 'transient', 'ambiguous'],
    ['EPIPE', 'transient', 'ambiguous'],
    ['CERT_HAS_EXPIRED', 'terminal', 'not-sent'],
  ];
  it.each(cases)('a fetch failure caused by %s is %s / %s', (code, verdict, sent) => {
    const network = toNetworkError(withCode(code));
    expect(network).toBeInstanceOf(NetworkError);
    const result = classifyError(network, live);
    expect(result.verdict).toBe(verdict);
    expect(result.sent).toBe(sent);
  });

  it('finds the code inside an AggregateError (every address refused)', () => {
    const aggregate = new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' })], 'all failed');
    expect(causeCodeOf(new TypeError('fetch failed', { cause: aggregate }))).toBe('ECONNREFUSED');
  });

  it('treats "fetch failed" without a code as ambiguous, and a plain TypeError as no network error', () => {
    expect(toNetworkError(new TypeError('fetch failed'))?.sent).toBe('ambiguous');
    expect(toNetworkError(new TypeError('Cannot read properties of undefined'))).toBeUndefined();
    expect(sentStateOfCode(undefined)).toBe('ambiguous');
  });

  it('makes a caller abort terminal, a per-attempt timeout transient and ambiguous, another layer\'s decision terminal', () => {
    const controller = new AbortController();
    controller.abort();
    expect(classifyError(new Error('x'), controller.signal).verdict).toBe('terminal');
    const timeout = classifyError(new AttemptTimeoutError({ timeoutMs: 10, operation: 'GET /' }), live);
    expect([timeout.verdict, timeout.sent]).toEqual(['transient', 'ambiguous']);
    const later = new RetryLaterError({ retryAt: now, delayMs: 1, reason: 'r', operation: 'op' });
    expect(classifyError(later, live).verdict).toBe('terminal');
  });
});

describe('matchRoute and isIdempotentMethod', () => {
  const rules = [
    { method: 'POST', path: '/v1/orders/cancel', idempotent: true },
    { method: 'GET', path: '/v1/orders/:id', operation: 'get order' },
    { path: '/api/v1/*', operation: 'warehouse' },
  ];
  const cases: Array<[string, string, string | undefined]> = [
    ['POST', 'https://a.test/v1/orders/cancel', '/v1/orders/cancel'],
    ['POST', 'https://a.test/v1/orders/cancel/', '/v1/orders/cancel'],
    ['GET', 'https://a.test/v1/orders/cancel', '/v1/orders/:id'],
    ['GET', 'https://a.test/v1/orders/o_1', '/v1/orders/:id'],
    ['GET', 'https://a.test/v1/orders/o_1/items', undefined],
    ['DELETE', 'https://a.test/api/v1/orders/X/', '/api/v1/*'],
    ['POST', 'https://a.test/v1/orders/create', undefined],
  ];
  it.each(cases)('%s %s matches %s', (method, url, path) => {
    expect(matchRoute(rules, method, new URL(url))?.path).toBe(path);
  });

  it('knows which methods are idempotent by definition', () => {
    expect(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'].every(isIdempotentMethod)).toBe(true);
    expect(['POST', 'PATCH'].some(isIdempotentMethod)).toBe(false);
  });
});
