/**
 * The shared request budget of one API, as a pure state machine over its scopes: `''` (the
 * whole API), `g:<group>` (a route group the user declared), `p:<partition>` (a partition the
 * server named) and `e:<endpoint>` (one endpoint: its probe and holds found to be its own). A
 * send passes through its home scope (`''` or its group), the partitions its endpoint is known
 * to belong to, and its endpoint scope. The in-memory store applies these steps directly; the
 * Redis store applies the same steps to a document it swaps atomically, so every worker sees
 * one budget.
 *
 * One answer is evidence, not proof: a hold longer than the caller can wait is verified by
 * probes (one at a time, spaced) before it silences other calls; a healthy answer lifts it, a
 * second exhausted answer confirms it. For the whole API or a group, the confirming answer
 * must come from another endpoint: an endpoint that keeps refusing is held on its own.
 */
import { copyScopes, isHomeScope, prune } from './budget-scopes.js';
import { notePaceSend } from './pacing.js';
import { emptyScope, holdOf, markHold, rollover, type Hold, type ScopeState } from './scope-state.js';
import type { AcquireRequest, AcquireResult, AcquireWait, BudgetState, BudgetStep } from './budget-types.js';

export type { AcquireGo, AcquireRequest, AcquireResult, AcquireWait, BudgetState, BudgetStep, ScopeLesson, SettleInput, SettleResult, Turn } from './budget-types.js';
export { settleInPlace, settleStep } from './budget-settle.js';
export { isHomeScope } from './budget-scopes.js';


/**
 * A budget that knows nothing yet: the first send of each endpoint goes alone, as a probe,
 * and the others follow its answer, so a burst at first contact cannot overrun a limit nobody
 * has read yet.
 *
 * @example
 * ```ts
 * const state = emptyBudget();
 * ```
 */
export function emptyBudget(): BudgetState {
  return { scopes: {} };
}

/**
 * Asks to send one request at `now`; on `go` the send is counted in every gating scope.
 *
 * @example
 * ```ts
 * const request = { scopes: [''], endpoint: 'GET /v1/orders', softPartitions: false, maxHoldMs: 60_000, probeLeaseMs: 5000, probeIntervalMs: 1000 };
 * const { state: next, result } = acquireStep(state, Date.now(), request);
 * ```
 */
export function acquireStep(state: BudgetState, now: number, request: AcquireRequest): BudgetStep<AcquireResult> {
  return acquireInPlace(copyScopes(state), now, request);
}

/**
 * {@link acquireStep} on scopes it may change: the caller's own copy (the memory store's state,
 * which it replaces by the result anyway, saving a copy per send). @internal
 */
export function acquireInPlace(scopes: Record<string, ScopeState>, now: number, request: AcquireRequest): BudgetStep<AcquireResult> {
  const endpointKey = `e:${request.endpoint}`;
  // The scopes in order, each once (as a Set would give them, without building one per send).
  const gating: string[] = [];
  for (const key of request.scopes) if (!gating.includes(key)) gating.push(key);
  // An endpoint scope exists only while it holds a probe or a hold (prune forgets it after):
  // absent, it gates nothing, so it is made only when this send becomes its probe.
  if (scopes[endpointKey] !== undefined && !gating.includes(endpointKey)) gating.push(endpointKey);
  for (const key of gating) rollover((scopes[key] ??= emptyScope(now, isHomeScope(key))), now);
  const soft = request.softPartitions ? softPartitions(scopes, gating) : NONE;
  const done = (result: AcquireResult): BudgetStep<AcquireResult> => ({ state: { scopes: prune(scopes, now) }, result });

  let wait: Hold | undefined;
  let refuse: Hold | undefined;
  const verify: string[] = [];
  // The gating scopes, then the soft ones (no array of both is built per send).
  for (let index = 0; index < gating.length + soft.length; index += 1) {
    const isSoft = index >= gating.length;
    const key = isSoft ? soft[index - gating.length]! : gating[index]!;
    const s = scopes[key]!;
    if (isSoft) rollover(s, now);
    const hold = holdOf(s, now);
    if (hold === undefined) continue;
    markHold(s, now, '', request.probeIntervalMs);
    if (hold.until - now <= request.maxHoldMs) wait = later(wait, hold);
    else if (isSoft) continue;
    // A pace is the server's rule, not one answer's word: nothing to verify.
    else if (s.confirmed || hold.source === 'pacing') refuse = later(refuse, hold);
    else verify.push(key);
  }
  if (refuse !== undefined) return done({ go: false, until: refuse.until, reason: 'confirmed', source: refuse.source });
  if (wait !== undefined) return done({ go: false, ...wait });
  const slot = verifySlot(verify.map((key) => scopes[key]!), now);
  if (slot !== undefined) return done(slot);
  const endpoint = scopes[endpointKey];
  const probe = gating.some((key) => scopes[key]!.needProbe);
  if (probe && endpoint !== undefined && endpoint.probeUntil > now) return done({ go: false, until: endpoint.probeUntil, reason: 'probe', source: 'probe' });
  const ramping = !probe && request.scopes.some((key) => rampFull(scopes[key]!));
  if (ramping) return done({ go: false, until: now + request.probeLeaseMs, reason: 'probe', source: 'probe' });
  // A window opened without a probe has let its limit go: the rest waits for its first answer.
  if (blindSpent(scopes, request.scopes)) return done({ go: false, until: now + request.probeLeaseMs, reason: 'probe', source: 'probe' });
  if (request.count === false) return done({ go: true, turn: { epochs: {}, probe: false, verify: [], at: now } });

  if (probe) (scopes[endpointKey] ??= emptyScope(now, false)).probeUntil = now + request.probeLeaseMs;
  for (const key of verify) {
    scopes[key]!.verifyUntil = now + request.probeLeaseMs;
    scopes[key]!.verifyAt = now + request.probeIntervalMs;
  }
  const epochs: Record<string, number> = {};
  for (const key of request.scopes) {
    const s = scopes[key]!;
    if (s.remaining > 0) s.remaining -= 1;
    if (s.blindSends > 0) s.blindSends -= 1;
    s.sent += 1;
    s.inflight += 1;
    notePaceSend(s.pace, now);
    s.touchedAt = now;
    epochs[key] = s.epoch;
  }
  if (endpoint !== undefined) endpoint.touchedAt = now;
  return done({ go: true, turn: { epochs, probe, verify, at: now } });
}
const NONE: readonly string[] = Object.freeze([]);

// The partitions known to the budget that do not gate this send (most budgets have none).
function softPartitions(scopes: Record<string, ScopeState>, gating: readonly string[]): readonly string[] {
  let found: string[] | undefined;
  for (const key in scopes) if (key.startsWith('p:') && !gating.includes(key)) (found ??= []).push(key);
  return found ?? NONE;
}

function verifySlot(held: readonly ScopeState[], now: number): AcquireWait | undefined {
  let lease = 0;
  let slot = 0;
  for (const s of held) {
    if (s.verifyUntil > now) lease = Math.max(lease, s.verifyUntil);
    else if (s.verifyAt > now) slot = Math.max(slot, s.verifyAt);
  }
  if (lease > 0) return { go: false, until: lease, reason: 'probe', source: 'probe' };
  if (slot > 0) return { go: false, until: slot, reason: 'verify', source: 'verify' };
  return undefined;
}

function later(current: Hold | undefined, next: Hold): Hold {
  return current === undefined || next.until > current.until ? next : current;
}

function blindSpent(scopes: Record<string, ScopeState>, keys: readonly string[]): boolean {
  for (const key of keys) if (scopes[key]!.blindSends === 0) return true;
  return false;
}

// Slow start: while the budget is unknown, no more in flight than answers have earned.
function rampFull(s: ScopeState): boolean {
  return s.rampCap > 0 && s.remaining === -1 && s.pace.limit <= 0 && s.inflight >= s.rampCap;
}
