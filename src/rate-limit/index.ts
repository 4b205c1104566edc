export { rateLimit, type RateLimitOptions, type RateLimitMiddleware } from './middleware.js';
export { RateLimiterUnavailableError } from './errors.js';
export { applyRedis7Shim, connectRedis, type RedisOption, type RedisUrlOption, type RedisClientOption, type RedisLink } from './bottleneck-redis.js';
export { apiKeyOf, credentialOf, createLimiterRegistry, type ApiLimiter, type LimiterRegistry, type LimiterRegistryOptions } from './limiter.js';
export { createMemoryBudgetStore, type BudgetStore } from './budget-store.js';
export { createRedisBudgetStore, type RedisBudgetStoreOptions } from './budget-redis.js';
export { acquireStep, settleStep, emptyBudget, isHomeScope, type BudgetState, type BudgetStep, type AcquireRequest, type AcquireResult, type AcquireGo, type AcquireWait, type Turn, type ScopeLesson, type SettleInput, type SettleResult } from './budget.js';
export type { ScopeState, ReportedBudget, ReportedPause, Hold } from './scope-state.js';
export { endpointOf, createPartitionMap, type RateLimitGroup, type PartitionMap, type RequestScopes } from './partitions.js';
