import { describe, expect, it } from 'vitest';
import { otelAttributes, type SurefetchEvent } from '../src/index.js';

const base = { operation: 'POST /v1/orders/create', clientRequestId: 'crid-1', method: 'POST', url: 'https://api.test/v1/orders/create', attempt: 2, time: 0 };

describe('otelAttributes', () => {
  it('names an attempt\'s outcome with the HTTP semantic conventions', () => {
    const event: SurefetchEvent = { ...base, type: 'attempt-end', send: 2, verdict: 'transient', sent: 'ambiguous', status: 503, durationMs: 12 };
    expect(otelAttributes(event)).toMatchObject({
      'http.request.method': 'POST',
      'url.full': 'https://api.test/v1/orders/create',
      'http.request.resend_count': 1,
      'http.response.status_code': 503,
      'surefetch.verdict': 'transient',
      'surefetch.sent': 'ambiguous',
    });
  });

  it('counts a send\'s resends by its place among the call\'s sends, rateLimit\'s re-send included', () => {
    // Attempt 2 of retry, whose rateLimit re-sent it once after a 429: the server's fourth request.
    expect(otelAttributes({ ...base, type: 'attempt', send: 4 })['http.request.resend_count']).toBe(3);
    expect(otelAttributes({ ...base, type: 'retry', delayMs: 10, reason: 'HTTP 503' })['http.request.resend_count']).toBe(1);
  });

  it('puts the error code of a give-up under error.type and a wait\'s time as ISO 8601', () => {
    expect(otelAttributes({ ...base, type: 'give-up', errorCode: 'AMBIGUOUS_OUTCOME', message: 'm' })['error.type']).toBe('AMBIGUOUS_OUTCOME');
    expect(otelAttributes({ ...base, type: 'wait', delayMs: 2000, retryAt: Date.UTC(2026, 0, 1), source: 'ratelimit-reset' })['surefetch.retry_at']).toBe('2026-01-01T00:00:00.000Z');
  });
});
