import { FetchError } from 'ofetch';
import { describe, expect, it } from 'vitest';
import {
  AmbiguousOutcomeError, CircuitOpenError, ExistenceCheckError, HttpError, IdempotencyError, InvalidRequestError, NetworkError, NotAppliedError,
  RedirectError, RetryLaterError,
  callFactHeaders, queueDecisionOf, type QueueDecision,
} from '../src/index.js';

const http = (status: number, verdict: 'terminal' | 'transient' | 'wait', retryAt?: number) =>
  new HttpError({
    status, code: `HTTP_${status}`, message: 'refused', details: [], verdict, sent: 'delivered', attempts: 1, body: '', bodyTruncated: false,
    operation: 'POST /x', method: 'POST', url: 'https://api.test/x', clientRequestId: 'cr', headers: {}, ...(retryAt === undefined ? {} : { retryAt }),
  });
const idem = (code: IdempotencyError['code'], retryAt?: number) =>
  new IdempotencyError({ code, scope: 's', clientRequestId: 'cr', operation: 'op', message: 'm', ...(retryAt === undefined ? {} : { retryAt }) });
const wrappedAnswer = (status: number, verdict: string) => {
  const headers = new Headers({ [callFactHeaders.verdict]: verdict, [callFactHeaders.sent]: 'delivered', [callFactHeaders.attempts]: '1', [callFactHeaders.clientRequestId]: 'cr-9' });
  return Object.assign(new Error('client error'), { response: new Response(null, { status, headers }) });
};

const cases: Array<[string, unknown, Partial<QueueDecision>]> = [
  ['RetryLaterError', new RetryLaterError({ retryAt: 5_000, delayMs: 1, reason: 'r', operation: 'o' }), { action: 'delay', retryAt: 5_000, code: 'RETRY_LATER' }],
  ['IDEMPOTENCY_IN_PROGRESS with retryAt', idem('IDEMPOTENCY_IN_PROGRESS', 7_000), { action: 'delay', retryAt: 7_000 }],
  ['CircuitOpenError', new CircuitOpenError({ api: 'a', retryAt: 9_000, operation: 'o' }), { action: 'delay', retryAt: 9_000, code: 'CIRCUIT_OPEN' }],
  ['RetryLaterError inside ofetch\'s FetchError', new FetchError('x', { cause: new RetryLaterError({ retryAt: 6_000, delayMs: 1, reason: 'r', operation: 'o' }) }), { action: 'delay', retryAt: 6_000 }],
  ['a 400 HttpError', http(400, 'terminal'), { action: 'fail', code: 'HTTP_400' }],
  ['a 503 HttpError of a read', http(503, 'transient'), { action: 'retry', code: 'HTTP_503' }],
  ['a 429 HttpError with retryAt', http(429, 'wait', 8_000), { action: 'delay', retryAt: 8_000 }],
  ['AmbiguousOutcomeError', new AmbiguousOutcomeError({ clientRequestId: 'cr', attempts: 1, operation: 'o', reason: 'r' }), { action: 'fail', code: 'AMBIGUOUS_OUTCOME' }],
  ['PREVIOUSLY_FAILED', idem('PREVIOUSLY_FAILED'), { action: 'fail', code: 'PREVIOUSLY_FAILED' }],
  ['PREVIOUSLY_FAILED shared from a run that gave up on a 503', new IdempotencyError({ code: 'PREVIOUSLY_FAILED', scope: 's', clientRequestId: 'cr', operation: 'op', message: 'm', previous: { code: 'HTTP_503', message: 'm', status: 503, terminal: false } }), { action: 'retry', code: 'PREVIOUSLY_FAILED' }],
  ['SCOPE_REQUIRED', idem('SCOPE_REQUIRED'), { action: 'fail', code: 'SCOPE_REQUIRED' }],
  ['LEASE_LOST', idem('LEASE_LOST'), { action: 'retry', code: 'LEASE_LOST' }],
  ['ExistenceCheckError without near matches', new ExistenceCheckError({ operation: 'o', clientRequestId: 'cr', reason: 'list down' }), { action: 'retry' }],
  ['ExistenceCheckError with a near match', new ExistenceCheckError({ operation: 'o', clientRequestId: 'cr', reason: 'near', nearMatches: [{ id: '1', differences: ['zip'] }] }), { action: 'fail' }],
  ['NotAppliedError', new NotAppliedError({ operation: 'o', clientRequestId: 'cr', attempts: 2, reason: 'r' }), { action: 'retry', code: 'NOT_APPLIED' }],
  ['NetworkError', new NetworkError({ sent: 'not-sent', message: 'refused' }), { action: 'retry', code: 'NETWORK_ERROR' }],
  ['a client\'s error of a terminal answer (facts in headers)', wrappedAnswer(422, 'terminal'), { action: 'fail', code: 'HTTP_422' }],
  ['a client\'s error of a transient answer', wrappedAnswer(502, 'transient'), { action: 'retry', code: undefined }],
  ['a refused redirect', new RedirectError({ code: 'REDIRECT_REFUSED', status: 302, location: 'https://api.test/y', method: 'POST', url: 'https://api.test/x', sent: 'ambiguous', operation: 'o', reason: 'r' }), { action: 'fail', code: 'REDIRECT_REFUSED' }],
  ['an invalid request', new InvalidRequestError('the URL does not parse'), { action: 'fail', code: 'INVALID_REQUEST' }],
  ['an unknown error', new TypeError('bug'), { action: 'retry', code: undefined }],
];

describe('queueDecisionOf', () => {
  it.each(cases)('%s', (_name, error, expected) => {
    expect(queueDecisionOf(error)).toMatchObject(expected);
  });

  it('names the client request id in the failure message of a refused answer seen through a client', () => {
    const decision = queueDecisionOf(wrappedAnswer(400, 'terminal'));
    expect(decision.action === 'fail' ? decision.message : '').toContain('cr-9');
  });
});
