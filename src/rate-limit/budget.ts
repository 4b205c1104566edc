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
import { applyPause, emptyScope, holdOf, learnBudget, liftHold, markHold, rollover, type Hold, type ReportedBudget, type ReportedPause, type ScopeState } from './scope-state.js';

/** The budget of one API: a state per scope. */
export interface BudgetState {
  /** Scope key → state. */
  readonly scopes: Readonly<Record<string, ScopeState>>;
}

/** What a send asks the budget for. */
export interface AcquireRequest {
  /** The scopes the send is gated by: its home scope, then its endpoint's known partitions. */
  readonly scopes: readonly string[];
  /** Names the endpoint (hashed method and path); its scope `e:<endpoint>` is added. */
  readonly endpoint: string;
  /** The endpoint's partitions are not known yet: it also waits out short holds of any partition. */
  readonly softPartitions: boolean;
  /** Holds up to this long are waited out; longer ones are verified, or refused once confirmed. */
  readonly maxHoldMs: number;
  /** How long a probe may stay unanswered before another send may probe. */
  readonly probeLeaseMs: number;
  /** Spacing of the probes that verify an unconfirmed hold. */
  readonly probeIntervalMs: number;
  /** `false` to look without counting a send. @default true */
  readonly count?: boolean;
}

/** A send's permission, to hand back to {@link settleStep}. */
export interface Turn {
  /** The window generation of each gating scope the send was counted in. */
  readonly epochs: Readonly<Record<string, number>>;
  /** The send is its endpoint's probe of a new window. */
  readonly probe: boolean;
  /** The scopes whose unconfirmed hold the send verifies. */
  readonly verify: readonly string[];
}

/** The send may go now. */
export interface AcquireGo {
  /** Always `true`. */
  readonly go: true;
  /** Its permission (empty when only looking). */
  readonly turn: Turn;
}

/** The send must wait, or (`confirmed`) give up at once. */
export interface AcquireWait {
  /** Always `false`. */
  readonly go: false;
  /** Epoch ms to wait until (for `probe`, a lease end: look again sooner). */
  readonly until: number;
  /**
   * `pause` / `exhausted`: a hold the caller can wait out; `probe`: a probe is in flight;
   * `verify`: the next probe verifying a long hold may go at `until`; `confirmed`: a confirmed
   * hold longer than the caller can wait.
   */
  readonly reason: 'pause' | 'exhausted' | 'probe' | 'verify' | 'confirmed';
  /** Where the time came from (`retry-after`, `ratelimit-remaining`, `pacing`, `fallback`, ...). */
  readonly source: string;
}

/** May this send go now? */
export type AcquireResult = AcquireGo | AcquireWait;

/** What one answer teaches one scope. */
export interface ScopeLesson {
  /** The scope key. */
  readonly scope: string;
  /** The budget the answer reported, when it gave both `remaining` and a reset time. */
  readonly budget?: ReportedBudget;
  /** The answer refused the send: hold the scope until `until` (or a fallback). */
  readonly pause?: ReportedPause;
}

/** How one send ended. */
export interface SettleInput {
  /** The turn it was sent with. */
  readonly turn: Turn;
  /** Its endpoint. */
  readonly endpoint: string;
  /** The HTTP status; `undefined` for a network error, timeout or abort. */
  readonly status?: number;
  /** What the answer teaches, per scope. */
  readonly lessons: readonly ScopeLesson[];
  /** Spacing of the probes that verify a hold the answer starts. */
  readonly probeIntervalMs: number;
}

/** The longest pause the answer's scopes are under after a settle, if any. */
export interface SettleResult {
  /** Epoch ms before which nobody sends in those scopes; 0 = none. */
  readonly pauseUntil: number;
  /** Where it came from. */
  readonly pauseSource: string;
}

/** The outcome of one step: the next state and the answer to the caller. */
export interface BudgetStep<R> {
  /** The state after the step. */
  readonly state: BudgetState;
  /** The answer. */
  readonly result: R;
}

const MAX_PARTITIONS = 64;
const IDLE_PARTITION_MS = 600_000;

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
  const endpointKey = `e:${request.endpoint}`;
  const gating = [...new Set([...request.scopes, endpointKey])];
  for (const key of gating) rollover((scopes[key] ??= emptyScope(now, isHomeScope(key))), now);
  const soft = request.softPartitions ? Object.keys(scopes).filter((key) => key.startsWith('p:') && !gating.includes(key)) : [];
  const done = (result: AcquireResult): BudgetStep<AcquireResult> => ({ state: { scopes: prune(scopes, now) }, result });

  let wait: Hold | undefined;
  let refuse: Hold | undefined;
  const verify: string[] = [];
  for (const key of [...gating, ...soft]) {
    const s = scopes[key]!;
    if (soft.includes(key)) rollover(s, now);
    const hold = holdOf(s, now);
    if (hold === undefined) continue;
    markHold(s, now, '', request.probeIntervalMs);
    if (hold.until - now <= request.maxHoldMs) wait = later(wait, hold);
    else if (soft.includes(key)) continue;
    else if (s.confirmed) refuse = later(refuse, hold);
    else verify.push(key);
  }
  if (refuse !== undefined) return done({ go: false, until: refuse.until, reason: 'confirmed', source: refuse.source });
  if (wait !== undefined) return done({ go: false, ...wait });
  const slot = verifySlot(verify.map((key) => scopes[key]!), now);
  if (slot !== undefined) return done(slot);
  const endpoint = scopes[endpointKey]!;
  const probe = gating.some((key) => scopes[key]!.needProbe);
  if (probe && endpoint.probeUntil > now) return done({ go: false, until: endpoint.probeUntil, reason: 'probe', source: 'probe' });
  if (request.count === false) return done({ go: true, turn: { epochs: {}, probe: false, verify: [] } });

  if (probe) endpoint.probeUntil = now + request.probeLeaseMs;
  for (const key of verify) {
    scopes[key]!.verifyUntil = now + request.probeLeaseMs;
    scopes[key]!.verifyAt = now + request.probeIntervalMs;
  }
  const epochs: Record<string, number> = {};
  for (const key of request.scopes) {
    const s = scopes[key]!;
    if (s.remaining > 0) s.remaining -= 1;
    s.sent += 1;
    s.inflight += 1;
    if (s.windowStart === 0) s.windowStart = now;
    // A paced window ends a full window after its last send, which suits sliding windows too.
    if (s.paced) s.resetAt = Math.max(s.resetAt, now + s.paceWindowMs);
    s.touchedAt = now;
    epochs[key] = s.epoch;
  }
  endpoint.touchedAt = now;
  return done({ go: true, turn: { epochs, probe, verify } });
}

/**
 * Reports how one send ended, so the budget learns from it: the budgets and refusals of the
 * scopes the answer speaks for, and the outcome of a probe that verified a hold.
 *
 * @example
 * ```ts
 * settleStep(state, Date.now(), { turn, endpoint, status: 200, lessons: [{ scope: '', budget: { remaining: 9, resetAt } }], probeIntervalMs: 1000 });
 * ```
 */
export function settleStep(state: BudgetState, now: number, input: SettleInput): BudgetStep<SettleResult> {
  const scopes = copyScopes(state);
  const { turn, status, lessons, probeIntervalMs } = input;
  const endpointKey = `e:${input.endpoint}`;
  const answered = status !== undefined;
  const refused = lessons.some((lesson) => lesson.pause !== undefined);
  const healthy = answered && status < 500 && !lessons.some((lesson) => exhausts(lesson, now));
  for (const [key, epoch] of Object.entries(turn.epochs)) {
    const s = scopes[key];
    if (s === undefined) continue;
    s.inflight = Math.max(0, s.inflight - 1);
    if (turn.probe && answered) s.needProbe = false;
    if (status !== undefined && status >= 200 && status < 300) s.strikes = 0;
    if (answered && status < 500 && !refused && epoch === s.epoch) s.accepted += 1;
    s.touchedAt = now;
    rollover(s, now);
  }
  const endpoint = scopes[endpointKey];
  if (turn.probe && endpoint !== undefined) endpoint.probeUntil = 0;

  const lifted = new Set<string>();
  const confirmed = new Set<string>();
  for (const key of turn.verify) {
    const s = scopes[key];
    if (s === undefined) continue;
    s.verifyUntil = 0;
    const hold = holdOf(s, now);
    if (hold === undefined) continue;
    const exhausted = key.startsWith('e:') ? !healthy && refusedOrSpent(lessons, now) : lessons.some((lesson) => lesson.scope === key && exhausts(lesson, now));
    const ownEndpoint = isHomeScope(key) && s.holdBy !== '';
    if (healthy) {
      // Contradicted by another endpoint: the hold was that endpoint's own.
      if (ownEndpoint && s.holdBy !== input.endpoint) holdEndpoint(scopes, s.holdBy, hold, now, probeIntervalMs, false);
      liftHold(s);
      lifted.add(key);
    } else if (exhausted && ownEndpoint && s.holdBy === input.endpoint) {
      // The same endpoint said it again: confirmed for it, while another must agree for everyone.
      holdEndpoint(scopes, input.endpoint, hold, now, probeIntervalMs, true);
    } else if (exhausted) {
      s.confirmed = true;
      confirmed.add(key);
    }
  }

  let pauseUntil = 0;
  let pauseSource = '';
  for (const lesson of lessons) {
    const s = (scopes[lesson.scope] ??= emptyScope(now, false));
    rollover(s, now);
    const heldBefore = s.heldAt > 0 && !lifted.has(lesson.scope);
    const epoch = turn.epochs[lesson.scope];
    const current = epoch === undefined || epoch === s.epoch || lifted.has(lesson.scope);
    if (lesson.budget !== undefined && current && lesson.budget.resetAt > now) learnBudget(s, lesson.budget);
    if (lesson.pause !== undefined) {
      // A confirming answer is the fresher evidence: its time replaces the first answer's.
      if (confirmed.has(lesson.scope) && lesson.pause.until !== undefined && lesson.pause.until > now) s.pauseUntil = 0;
      applyPause(s, now, lesson.pause, input.endpoint);
    }
    // A second answer agreeing confirms the hold: for the whole API or a group it must come
    // from another endpoint than the first (one endpoint may be limited on its own).
    const agrees = !isHomeScope(lesson.scope) || s.holdBy === '' || s.holdBy !== input.endpoint;
    if (heldBefore && exhausts(lesson, now) && agrees && holdOf(s, now) !== undefined) s.confirmed = true;
    markHold(s, now, input.endpoint, probeIntervalMs);
    s.touchedAt = now;
    if (s.pauseUntil > now && s.pauseUntil > pauseUntil) {
      pauseUntil = s.pauseUntil;
      pauseSource = s.pauseSource;
    }
  }
  return { state: { scopes: prune(scopes, now) }, result: { pauseUntil, pauseSource } };
}

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

function exhausts(lesson: ScopeLesson, now: number): boolean {
  return lesson.pause !== undefined || (lesson.budget !== undefined && lesson.budget.remaining === 0 && lesson.budget.resetAt > now);
}

function refusedOrSpent(lessons: readonly ScopeLesson[], now: number): boolean {
  return lessons.some((lesson) => exhausts(lesson, now));
}

function holdEndpoint(scopes: Record<string, ScopeState>, endpoint: string, hold: Hold, now: number, probeIntervalMs: number, confirmed: boolean): void {
  const s = (scopes[`e:${endpoint}`] ??= emptyScope(now, false));
  if (hold.until > s.pauseUntil) {
    s.pauseUntil = hold.until;
    s.pauseSource = hold.source;
  }
  markHold(s, now, endpoint, probeIntervalMs);
  if (confirmed) s.confirmed = true;
  s.touchedAt = now;
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

function copyScopes(state: BudgetState): Record<string, ScopeState> {
  const scopes: Record<string, ScopeState> = {};
  for (const [key, value] of Object.entries(state.scopes)) scopes[key] = { ...value };
  return scopes;
}

// Endpoint scopes live only while they hold a probe or a hold; partitions while recently used.
function prune(scopes: Record<string, ScopeState>, now: number): Record<string, ScopeState> {
  const partitions: Array<[string, ScopeState]> = [];
  for (const [key, s] of Object.entries(scopes)) {
    const busy = holdOf(s, now) !== undefined || s.inflight > 0 || s.probeUntil > now || s.verifyUntil > now;
    if (key.startsWith('e:') && !busy) delete scopes[key];
    else if (key.startsWith('p:') && !busy && now - s.touchedAt > IDLE_PARTITION_MS) delete scopes[key];
    else if (key.startsWith('p:') && !busy) partitions.push([key, s]);
  }
  partitions.sort((a, b) => a[1].touchedAt - b[1].touchedAt);
  for (const [key] of partitions.slice(0, Math.max(0, partitions.length - MAX_PARTITIONS))) delete scopes[key];
  return scopes;
}
