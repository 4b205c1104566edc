/**
 * surefetch: composable fetch middlewares that make calls to third-party HTTP APIs land
 * exactly once, as fast as the API allows, and fail with errors a person can act on.
 *
 * @packageDocumentation
 */
export * from './types.js';
export * from './clock.js';
export * from './events.js';
export * from './errors.js';
export { BodyTimeoutError } from './body-timeout-error.js';
export { InvalidRequestError } from './invalid-request-error.js';
export { RedirectError, type RedirectErrorCode, type RedirectErrorInit } from './redirect-error.js';
export type { RedirectOptions, RedirectPolicy } from './redirect.js';
export { AuthError, HttpError, toHttpError, type HttpErrorFacts, type HttpErrorInit, type HttpErrorKind } from './http-error.js';
export * from './create-fetch.js';
export { forClient } from './clients/for-client.js';
export { factsOf, callFactHeaders, type CallFacts } from './clients/call-facts.js';
export { retryAtOf } from './clients/retry-at.js';
export * from './retry.js';
export * from './retry-budget.js';
export * from './circuit-breaker.js';
export * from './classify.js';
export { isIdempotentMethod, matchRoute } from './routes.js';
export { causeCodeOf, sentStateOfCode, toNetworkError } from './transport-error.js';
export { parseServerWait, type ServerWait, type ServerWaitOptions, type WaitSource } from './server-wait.js';
export { backoffDelayMs, type BackoffOptions } from './backoff.js';
export { parseRateLimitState, parsePartitionStates, isRateLimitExhausted, type RateLimitState, type RateLimitStateOptions, type PartitionState } from './rate-limit-headers.js';
export { parseErrorBody, codeFromStatus, type NormalizedError, type FieldDetail, type ErrorBodyFormat, type ErrorBodyInput } from './error-body.js';
export { REDACTED, isSecretHeaderName, isSecretParamName, redactHeaders, redactText, redactUrl, secretsOf } from './redact.js';
export { requestSecrets } from './request-secrets.js';
export { idempotency, type IdempotencyOptions, type ExistenceCheck, type ExistenceCheckTools } from './idempotency.js';
export { lookupExistence, type LookupOptions, type OriginalCall } from './idempotency/lookup-existence.js';
export { compareSent, comparators, type CompareOptions, type Comparison, type FieldComparator } from './idempotency/compare.js';
export { bodyPaging, linkPaging, nextLink, pageNumberPaging, type PageNumberPagingOptions, type PageRead, type Paging } from './idempotency/paging.js';
export { ExistenceCheckError, type NearMatch } from './existence-check-error.js';
export { NotAppliedError } from './not-applied-error.js';
export * from './recipes/index.js';
export * from './rate-limit/index.js';
export { memoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export type { RequestStore, KeyvRequestStore, ClaimResult, StoreBaseOptions, StoreCallOptions } from './store/request-store.js';
export { isRequestRecord, type RequestRecord, type RecordState, type StoredResponse } from './store/record.js';
export { StoreUnavailableError, isStoreUnavailableError, type StoreOperation, type StoreUnavailableInit } from './store/store-unavailable-error.js';
export { IdempotencyError, type IdempotencyErrorCode, type IdempotencyErrorInit } from './idempotency-error.js';
export { snapshotResponse, replayResponse } from './response-snapshot.js';
export { bodyReadLimit, type BodyReadLimit } from './response-body.js';
export { otelAttributes, type OtelAttributes } from './otel-attributes.js';
export { queueDecisionOf, type QueueDecision } from './queues/queue-decision.js';
