export { rateLimit, type RateLimitOptions, type RateLimitMiddleware } from './middleware.js';
export { RateLimiterUnavailableError } from './errors.js';
export { applyRedis7Shim, connectRedis, type RedisOption, type RedisUrlOption, type RedisClientOption, type RedisLink } from './bottleneck-redis.js';
export { apiKeyOf, credentialOf, createLimiterRegistry, type ApiLimiter, type LimiterRegistry, type LimiterRegistryOptions } from './limiter.js';
export { createMemoryBudgetStore, type BudgetStore } from './budget-store.js';
export { createRedisBudgetStore, type RedisBudgetStoreOptions } from './budget-redis.js';
export { acquireStep, settleStep, emptyBudget, type BudgetState, type BudgetStep, type AcquireResult, type AcquireGo, type AcquireWait, type ReportedBudget, type ReportedPause, type SettleInput, type SettleResult } from './budget.js';
