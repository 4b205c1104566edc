/** Helpers shared by the budget's steps: scope kinds, copies, forgetting idle scopes. */
import { copyPace } from './pacing.js';
import { holdOf, type ScopeState } from './scope-state.js';
import type { BudgetState } from './budget-types.js';
import { memoized } from '../core/memo.js';

const MAX_PARTITIONS = 64;
const IDLE_PARTITION_MS = 600_000;

/**
 * Whether a scope key is a home scope (the whole API or a declared group): its first send is
 * a probe, and its holds need a second endpoint to be confirmed.
 *
 * @example
 * ```ts
 * isHomeScope('g:search'); // true
 * ```
 */
export function isHomeScope(key: string): boolean {
  return key === '' || key.startsWith('g:');
}

const endpointScopes = new Map<string, string>();
const MAX_ENDPOINT_SCOPES = 2000;
const endpointScopeOf = (endpoint: string): string => `e:${endpoint}`;

/**
 * The key of an endpoint's scope, `e:<endpoint>`. Both steps of every send look it up: one
 * string kept per endpoint is found at once, where a new one per step is built, then hashed.
 *
 * @example
 * ```ts
 * endpointScope('9f86d081'); // 'e:9f86d081'
 * ```
 */
export function endpointScope(endpoint: string): string {
  return memoized(endpointScopes, endpoint, MAX_ENDPOINT_SCOPES, endpointScopeOf, undefined);
}

/**
 * A copy of the scopes that shares nothing with `state` (steps mutate their copy).
 *
 * @example
 * ```ts
 * const scopes = copyScopes(state);
 * ```
 */
export function copyScopes(state: BudgetState): Record<string, ScopeState> {
  const scopes: Record<string, ScopeState> = {};
  for (const [key, value] of Object.entries(state.scopes)) scopes[key] = { ...value, pace: copyPace(value.pace) };
  return scopes;
}

/**
 * Forgets what carries nothing: an endpoint scope lives only while it holds a probe or a hold;
 * a partition while recently used (at most 64 are kept).
 *
 * @example
 * ```ts
 * const kept = prune(scopes, Date.now());
 * ```
 */
export function prune(scopes: Record<string, ScopeState>, now: number): Record<string, ScopeState> {
  // Runs on every step: a plain loop, and the list of partitions only when there are some.
  let partitions: Array<[string, ScopeState]> | undefined;
  for (const key in scopes) {
    const s = scopes[key]!;
    const busy = holdOf(s, now) !== undefined || s.inflight > 0 || s.probeUntil > now || s.verifyUntil > now;
    if (key.startsWith('e:') && !busy) delete scopes[key];
    else if (key.startsWith('p:') && !busy && now - s.touchedAt > IDLE_PARTITION_MS) delete scopes[key];
    else if (key.startsWith('p:') && !busy) (partitions ??= []).push([key, s]);
  }
  if (partitions === undefined || partitions.length <= MAX_PARTITIONS) return scopes;
  partitions.sort((a, b) => a[1].touchedAt - b[1].touchedAt);
  for (const [key] of partitions.slice(0, partitions.length - MAX_PARTITIONS)) delete scopes[key];
  return scopes;
}

