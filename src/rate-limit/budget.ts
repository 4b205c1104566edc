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
import { copyScopes, endpointScope, isHomeScope, prune } from './budget-scopes.js';
import { notePaceSend } from './pacing.js';
import { emptyScope, holdOf, markHold, rollover, type Hold, type ScopeState } from './scope-state.js';
import type { AcquireRequest, AcquireResult, AcquireWait, BudgetState, BudgetStep } from './budget-types.js';

// The steps run on every send, not always optimized: their loops over arrays are indexed, as a
// for-of there makes an iterator result per element.

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
  const scopes = copyScopes(state);
  const result = acquireInPlace(scopes, now, request);
  return { state: { scopes }, result };
}

/**
 * {@link acquireStep} on scopes it changes in place (forgetting idle ones too): the caller's own
 * copy, or the memory store's state, which it would replace by the step's anyway, saving a copy
 * per send. Returns the result alone. @internal
 */
export function acquireInPlace(scopes: Record<string, ScopeState>, now: number, request: AcquireRequest): AcquireResult {
  const endpointKey = endpointScope(request.endpoint);
  // An endpoint scope exists only while it holds a probe or a hold (prune forgets it after):
  // absent, it gates nothing, so it is made only when this send becomes its probe.
  const gating = gatingScopes(request.scopes, scopes[endpointKey] === undefined ? undefined : endpointKey);
  for (let i = 0; i < gating.length; i += 1) {
    const key = gating[i]!;
    rollover((scopes[key] ??= emptyScope(now, isHomeScope(key))), now);
  }
  const soft = request.softPartitions ? softPartitions(scopes, gating) : NONE;

  let wait: Hold | undefined;
  let refuse: Hold | undefined;
  let verify: string[] | undefined;
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
    else (verify ??= []).push(key);
  }
  if (refuse !== undefined) return stepOf(scopes, now, { go: false, until: refuse.until, reason: 'confirmed', source: refuse.source });
  if (wait !== undefined) return stepOf(scopes, now, { go: false, ...wait });
  const slot = verify === undefined ? undefined : verifySlot(scopes, verify, now);
  if (slot !== undefined) return stepOf(scopes, now, slot);
  const endpoint = scopes[endpointKey];
  const probe = anyNeedsProbe(scopes, gating);
  if (probe && endpoint !== undefined && endpoint.probeUntil > now) return stepOf(scopes, now, { go: false, until: endpoint.probeUntil, reason: 'probe', source: 'probe' });
  const ramping = !probe && anyRampFull(scopes, request.scopes);
  if (ramping) return stepOf(scopes, now, { go: false, until: now + request.probeLeaseMs, reason: 'probe', source: 'probe' });
  // A window opened without a probe has let its limit go: the rest waits for its first answer.
  if (blindSpent(scopes, request.scopes)) return stepOf(scopes, now, { go: false, until: now + request.probeLeaseMs, reason: 'probe', source: 'probe' });
  if (request.count === false) return stepOf(scopes, now, { go: true, turn: { epochs: {}, probe: false, verify: NONE, at: now } });

  if (probe) (scopes[endpointKey] ??= emptyScope(now, false)).probeUntil = now + request.probeLeaseMs;
  const verifying = verify ?? NONE;
  for (let i = 0; i < verifying.length; i += 1) {
    const key = verifying[i]!;
    scopes[key]!.verifyUntil = now + request.probeLeaseMs;
    scopes[key]!.verifyAt = now + request.probeIntervalMs;
  }
  const epochs: Record<string, number> = {};
  for (let i = 0; i < request.scopes.length; i += 1) {
    const key = request.scopes[i]!;
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
  return stepOf(scopes, now, { go: true, turn: { epochs, probe, verify: verify ?? NONE, at: now } });
}

function stepOf(scopes: Record<string, ScopeState>, now: number, result: AcquireResult): AcquireResult {
  prune(scopes, now);
  return result;
}

// The scopes in order, each once, then the endpoint's when it has one: on the usual send (one
// home scope, no endpoint scope) the request's own list, with nothing built.
function gatingScopes(requested: readonly string[], endpointKey: string | undefined): readonly string[] {
  if (requested.length === 1 && (endpointKey === undefined || requested[0] === endpointKey)) return requested;
  const gating: string[] = [];
  for (const key of requested) if (!gating.includes(key)) gating.push(key);
  if (endpointKey !== undefined && !gating.includes(endpointKey)) gating.push(endpointKey);
  return gating;
}

function anyNeedsProbe(scopes: Record<string, ScopeState>, keys: readonly string[]): boolean {
  for (let i = 0; i < keys.length; i += 1) if (scopes[keys[i]!]!.needProbe) return true;
  return false;
}

function anyRampFull(scopes: Record<string, ScopeState>, keys: readonly string[]): boolean {
  for (let i = 0; i < keys.length; i += 1) if (rampFull(scopes[keys[i]!]!)) return true;
  return false;
}

const NONE: readonly string[] = Object.freeze([]);

// The partitions known to the budget that do not gate this send (most budgets have none).
function softPartitions(scopes: Record<string, ScopeState>, gating: readonly string[]): readonly string[] {
  let found: string[] | undefined;
  for (const key in scopes) if (key.startsWith('p:') && !gating.includes(key)) (found ??= []).push(key);
  return found ?? NONE;
}

function verifySlot(scopes: Record<string, ScopeState>, held: readonly string[], now: number): AcquireWait | undefined {
  let lease = 0;
  let slot = 0;
  for (const key of held) {
    const s = scopes[key]!;
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
  for (let i = 0; i < keys.length; i += 1) if (scopes[keys[i]!]!.blindSends === 0) return true;
  return false;
}

// Slow start: while the budget is unknown, no more in flight than answers have earned.
function rampFull(s: ScopeState): boolean {
  return s.rampCap > 0 && s.remaining === -1 && s.pace.limit <= 0 && s.inflight >= s.rampCap;
}
