/** Options of {@link createRetryBudget}. */
export interface RetryBudgetOptions {
  /** Tokens per API when full. @default 500 */
  readonly capacity?: number;
  /** Tokens a retry after an error answer or a network failure takes. @default 5 */
  readonly retryCost?: number;
  /** Tokens a retry after a per-attempt timeout takes. @default 10 */
  readonly timeoutCost?: number;
  /** Tokens a first-attempt success gives back. @default 1 */
  readonly successRefund?: number;
}

/**
 * A retry quota per API (the AWS SDK's design): a retry takes tokens, a successful retry gives
 * its tokens back, a first-attempt success adds one. When the quota is spent, failures are not
 * retried, so during an outage retries add a bounded amount to traffic (500 / 5 = 100 retries
 * per API with no success in between, by default).
 */
export interface RetryBudget {
  /** Takes the tokens of one retry; `undefined` when the quota cannot pay for it. */
  withdraw(api: string, afterTimeout: boolean): number | undefined;
  /** Records a successful attempt: the retry's tokens come back, or a first attempt adds a refund. */
  deposit(api: string, retryTokens: number | undefined): void;
  /** Tokens left for an API. */
  tokens(api: string): number;
}

/**
 * Creates a {@link RetryBudget}. `retry` creates one of its own unless given one; share one
 * between several `retry` layers to give them one quota.
 *
 * @example
 * ```ts
 * const budget = createRetryBudget({ capacity: 100 });
 * const sureFetch = createFetch({ middleware: [retry({ budget })] });
 * ```
 */
export function createRetryBudget(options: RetryBudgetOptions = {}): RetryBudget {
  const { capacity = 500, retryCost = 5, timeoutCost = 10, successRefund = 1 } = options;
  const balances = new Map<string, number>();
  const tokens = (api: string): number => balances.get(api) ?? capacity;
  return {
    tokens,
    withdraw(api: string, afterTimeout: boolean): number | undefined {
      const cost = afterTimeout ? timeoutCost : retryCost;
      const left = tokens(api);
      if (left < cost) return undefined;
      balances.set(api, left - cost);
      return cost;
    },
    deposit(api: string, retryTokens: number | undefined): void {
      balances.set(api, Math.min(capacity, tokens(api) + (retryTokens ?? successRefund)));
    },
  };
}
