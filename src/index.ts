/**
 * surefetch: composable fetch middlewares that make calls to third-party HTTP APIs land
 * exactly once, as fast as the API allows, and fail with errors a person can act on.
 *
 * @packageDocumentation
 */
export * from './core/types.js';
export { createManualClock, realTimeoutSignal, systemClock, type Clock, type ManualClock } from './core/clock.js';
export * from './core/events.js';
export type { SendTally } from './core/send-tally.js';
export * from './errors/errors.js';
export { BodyTimeoutError } from './errors/body-timeout-error.js';
export { InvalidRequestError } from './errors/invalid-request-error.js';
export { RedirectError, type RedirectErrorCode, type RedirectErrorInit } from './errors/redirect-error.js';
export type { RedirectOptions, RedirectPolicy } from './pipeline/redirect.js';
export { AuthError, HttpError, toHttpError, type HttpErrorFacts, type HttpErrorInit, type HttpErrorKind } from './verdict/http-error.js';
export * from './pipeline/create-fetch.js';
export { compose } from './pipeline/compose.js';
export { forClient } from './clients/for-client.js';
export { factsOf, callFactHeaders, type CallFacts } from './core/call-facts.js';
export { retryAtOf } from './clients/retry-at.js';
export * from './retry/retry.js';
export * from './retry/retry-budget.js';
export * from './retry/circuit-breaker.js';
export * from './verdict/classify.js';
export { isIdempotentMethod, matchRoute } from './core/routes.js';
export { causeCodeOf, sentStateOfCode, toNetworkError } from './verdict/transport-error.js';
export { parseServerWait, type ServerWait, type ServerWaitOptions, type WaitSource } from './verdict/server-wait.js';
export type { ServerClock } from './verdict/server-clock.js';
export { backoffDelayMs, type BackoffOptions } from './verdict/backoff.js';
export { parseRateLimitState, parsePartitionStates, isRateLimitExhausted, type RateLimitState, type RateLimitStateOptions, type PartitionState } from './verdict/rate-limit-headers.js';
export { parseErrorBody, codeFromStatus, type NormalizedError, type FieldDetail, type ErrorBodyFormat, type ErrorBodyInput } from './verdict/error-body.js';
export { REDACTED, isSecretHeaderName, isSecretParamName, redactHeaders, redactText, redactUrl, secretsOf } from './core/redact.js';
export { requestSecrets } from './core/request-secrets.js';
export { idempotency, type IdempotencyOptions, type ExistenceCheck, type ExistenceCheckTools } from './idempotency/idempotency.js';
export { lookupExistence, type LookupOptions, type OriginalCall } from './idempotency/lookup-existence.js';
export { compareSent, comparators, type CompareOptions, type Comparison, type FieldComparator } from './idempotency/compare.js';
export { bodyPaging, linkPaging, nextLink, pageNumberPaging, type PageNumberPagingOptions, type PageRead, type Paging } from './idempotency/paging.js';
export { ExistenceCheckError, type NearMatch } from './errors/existence-check-error.js';
export { NotAppliedError } from './errors/not-applied-error.js';
export * from './recipes/index.js';
export * from './rate-limit/index.js';
export { memoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export type { RequestStore, KeyvRequestStore, ClaimResult, StoreBaseOptions, StoreCallOptions } from './store/request-store.js';
export { isRequestRecord, type RequestRecord, type RecordState, type RecordedFailure, type StoredResponse, type UnansweredSend } from './store/record.js';
export { StoreUnavailableError, isStoreUnavailableError, type StoreOperation, type StoreUnavailableInit } from './store/store-unavailable-error.js';
export { IdempotencyError, type IdempotencyErrorCode, type IdempotencyErrorInit } from './errors/idempotency-error.js';
export { snapshotResponse, replayResponse } from './idempotency/response-snapshot.js';
export { bodyReadLimit, type BodyReadLimit } from './verdict/response-body.js';
export { otelAttributes, type OtelAttributes } from './observability/otel-attributes.js';
export { queueDecisionOf, type QueueDecision } from './queues/queue-decision.js';
