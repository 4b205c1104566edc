export { rateLimit, refusalGivenUp, type RateLimitOptions, type RateLimitMiddleware } from './middleware.js';
export { RateLimiterUnavailableError } from './errors.js';
export type { RateLimitCluster, ClusterLink, ClusteredLimits } from './cluster.js';
export { apiKeyOf, credentialOf, type ApiLimiter, type LimiterRegistryOptions } from './limiter.js';
export type { BudgetStore } from './budget-store.js';
export type { BudgetState, AcquireRequest, AcquireResult, AcquireGo, AcquireWait, Turn, ScopeLesson, SettleInput, SettleResult } from './budget.js';
export type { ScopeState, ReportedBudget, ReportedPause, Hold } from './scope-state.js';
export type { PaceState } from './pacing.js';
export { endpointOf, type RateLimitGroup, type RequestScopes } from './partitions.js';
