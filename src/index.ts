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
export { AuthError, HttpError, toHttpError, type HttpErrorFacts, type HttpErrorInit, type HttpErrorKind } from './http-error.js';
export * from './create-fetch.js';
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
export { REDACTED, isSecretHeaderName, redactHeaders, redactText, redactUrl, secretsOf } from './redact.js';
export { idempotency, type IdempotencyOptions, type ExistenceCheck } from './idempotency.js';
export { lookupExistence, type LookupOptions, type OriginalCall } from './existence-check.js';
export { ExistenceCheckError } from './existence-check-error.js';
export { byRoute, fulfillmentContacts, fulfillmentOrders, warehouseOrders, type ExistenceRecipe, type RecipeOptions } from './recipes.js';
export * from './rate-limit/index.js';
export { memoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export type { RequestStore, KeyvRequestStore, ClaimResult, StoreBaseOptions } from './store/request-store.js';
export { isRequestRecord, type RequestRecord, type RecordState, type StoredResponse } from './store/record.js';
export { StoreUnavailableError, isStoreUnavailableError, type StoreOperation, type StoreUnavailableInit } from './store/store-unavailable-error.js';
export { IdempotencyError, type IdempotencyErrorCode, type IdempotencyErrorInit } from './idempotency-error.js';
export { snapshotResponse, replayResponse } from './response-snapshot.js';
export { otelAttributes, type OtelAttributes } from './otel-attributes.js';
