import type { AcquireRequest, Turn } from '../../src/rate-limit/budget.js';
import type { BudgetStore } from '../../src/rate-limit/budget-store.js';

/** Asks `store` for a turn at `now` and returns it; throws, naming what the store said, when it is refused. */
export async function turnAt(store: BudgetStore, now: number, request: AcquireRequest): Promise<Turn> {
  const result = await store.acquire(now, request);
  if (!result.go) throw new Error(`expected to go at ${now}, told ${result.reason} until ${result.until}`);
  return result.turn;
}
