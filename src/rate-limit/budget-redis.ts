import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { copyScopes } from './budget-scopes.js';
import { acquireInPlace, acquireStep, emptyBudget, settleInPlace, type AcquireRequest, type AcquireResult, type BudgetState, type SettleInput, type SettleResult } from './budget.js';
import type { BudgetStore } from './budget-store.js';
import { holdOf, type ScopeState } from './scope-state.js';

/** Options of {@link createRedisBudgetStore}. */
export interface RedisBudgetStoreOptions {
  /** A connected ioredis client; the store does not close it. */
  readonly client: Redis;
  /** The Redis key of the budget. Derive it from host + credential hash, never the raw key. */
  readonly key: string;
  /**
   * Idle time after which the budget is forgotten (a hold always outlives it).
   *
   * @default 600000
   */
  readonly ttlMs?: number;
}

// Compare-and-set: the value is `<version>|<json>`; it is replaced only if the caller read the
// version that is there now, else the current value is returned for the caller to retry on.
const CAS_SCRIPT = `
local current = redis.call('GET', KEYS[1])
local version = ''
if current then
  local bar = string.find(current, '|', 1, true)
  if bar then version = string.sub(current, 1, bar - 1) end
end
if version ~= ARGV[1] then return { 0, current or '' } end
redis.call('SET', KEYS[1], ARGV[2] .. '|' .. ARGV[3], 'PX', ARGV[4])
return { 1, '' }
`;

const MAX_TRIES = 50;

interface Versioned {
  readonly version: string;
  readonly state: BudgetState;
}

// One step waiting for the next write: it changes the scopes it is given in place.
interface Pending<R> {
  readonly now: number;
  readonly step: (scopes: Record<string, ScopeState>) => R;
  readonly resolve: (value: R) => void;
  readonly reject: (error: unknown) => void;
}

interface CasCommand {
  surefetchBudgetCas(key: string, expected: string, version: string, json: string, ttlMs: number): Promise<[number, string]>;
}

/**
 * Creates a budget kept under one Redis key, shared by every process that uses the same `key`.
 * The steps of `budget.ts` run in the process; their result is written with one atomic
 * compare-and-set, and recomputed on the value another worker wrote first, so every worker
 * sees one budget. One write of a process is in flight at a time: the steps asked for
 * meanwhile are applied together, in order, by the next one (one round trip for many sends),
 * so only other processes can make a write retry. Times are the callers' `clock.now()`: workers on different hosts need
 * synchronized clocks. When the value disappears before it would have expired (FLUSHALL, a
 * failover to a replica that lacked it), the first worker to notice writes back its own last
 * view of it, so its holds and the sends in flight survive the loss; as that view may lack
 * sends other workers made since it was taken, the windows it knows are taken as spent until
 * their reset and the rest is probed again. A worker that has no view (or whose view would
 * have expired) starts afresh, with a probe.
 *
 * @example
 * ```ts
 * const store = createRedisBudgetStore({ client: new Redis(url), key: 'surefetch:api.example.com:3f2a…:budget' });
 * ```
 */
export function createRedisBudgetStore(options: RedisBudgetStoreOptions): BudgetStore {
  const { client, key, ttlMs = 600_000 } = options;
  const withCommand = client as unknown as Redis & Partial<CasCommand>;
  if (withCommand.surefetchBudgetCas === undefined) client.defineCommand('surefetchBudgetCas', { numberOfKeys: 1, lua: CAS_SCRIPT });
  const cas = client as unknown as CasCommand;
  let cached: Versioned | undefined;
  // When the value this process last saw would expire in Redis, had nobody touched it since.
  let cachedUntil = 0;
  // Steps asked for while a write is in flight, applied together by the next write.
  let pending: Array<Pending<unknown>> = [];
  let writing = false;

  const remember = (value: Versioned, now: number): void => {
    cached = value;
    cachedUntil = now + keepMs(value.state, now, ttlMs);
  };
  // A value gone before its time was lost, not forgotten: this process's last view stands in
  // (written with the version of an absent key), else every worker would relearn the window
  // from nothing while the sends of the old one are still in flight.
  const orLost = (found: Versioned, now: number): Versioned =>
    found.version === '' && cached !== undefined && cached.version !== '' && now < cachedUntil ? { version: '', state: reprobed(cached.state, now) } : found;
  const read = async (now: number): Promise<Versioned> => orLost(parse(await client.get(key)), now);
  // Applies a batch of steps, in the order asked, with one compare-and-set; recomputed on the
  // value another worker wrote first.
  const write = async (batch: ReadonlyArray<Pending<unknown>>): Promise<unknown[]> => {
    let now = 0;
    for (const op of batch) now = Math.max(now, op.now);
    let current = cached ?? (await read(now));
    for (let tries = 0; tries < MAX_TRIES; tries += 1) {
      const scopes = copyScopes(current.state);
      const results = batch.map((op) => op.step(scopes));
      const state: BudgetState = { scopes };
      const version = randomBytes(6).toString('hex');
      const [written, found] = await cas.surefetchBudgetCas(key, current.version, version, JSON.stringify(state), keepMs(state, now, ttlMs));
      if (Number(written) === 1) {
        remember({ version, state }, now);
        return results;
      }
      current = orLost(parse(found === '' ? null : found), now);
    }
    throw new Error(`the shared budget ${key} changed under each of ${MAX_TRIES} writes`);
  };
  const drain = async (): Promise<void> => {
    writing = true;
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      try {
        const results = await write(batch);
        batch.forEach((op, index) => op.resolve(results[index]));
      } catch (error) {
        for (const op of batch) op.reject(error);
      }
    }
    writing = false;
  };
  const update = <R>(now: number, step: (scopes: Record<string, ScopeState>) => R): Promise<R> =>
    new Promise<R>((resolve, reject) => {
      pending.push({ now, step, resolve: resolve as (value: unknown) => void, reject });
      if (!writing) void drain();
    });

  return {
    async acquire(now: number, request: AcquireRequest): Promise<AcquireResult> {
      if (request.count === false) return acquireStep((await read(now)).state, now, request).result;
      return update(now, (scopes) => acquireInPlace(scopes, now, request));
    },
    settle(now: number, input: SettleInput): Promise<SettleResult> {
      return update(now, (scopes) => settleInPlace(scopes, now, input));
    },
    async snapshot(scope = ''): Promise<ScopeState | undefined> {
      const s = parse(await client.get(key)).state.scopes[scope];
      return s === undefined ? undefined : { ...s };
    },
  };
}

// A view written back after a loss lacks what other workers were let send since it was taken
// (a busy worker's sends may not even have reached the server yet): a window it knows is
// taken as spent until its reset, and a scope without one is probed again.
function reprobed(state: BudgetState, now: number): BudgetState {
  const scopes = copyScopes(state);
  for (const [key, s] of Object.entries(scopes)) {
    if (key.startsWith('e:') || holdOf(s, now) !== undefined) continue;
    if (s.resetAt > now) s.remaining = 0;
    else s.needProbe = true;
    s.blindSends = -1;
  }
  return { scopes };
}

function parse(raw: string | null): Versioned {
  if (raw === null) return { version: '', state: emptyBudget() };
  const bar = raw.indexOf('|');
  try {
    const state = JSON.parse(raw.slice(bar + 1)) as BudgetState;
    if (typeof state === 'object' && state !== null && typeof state.scopes === 'object') return { version: raw.slice(0, bar), state };
  } catch {
    // A value this code did not write: start afresh over it.
  }
  return { version: raw.slice(0, Math.max(0, bar)), state: emptyBudget() };
}

// The value lives `ttlMs` past its last use, and always past the end of its longest hold.
function keepMs(state: BudgetState, now: number, ttlMs: number): number {
  let end = now;
  for (const s of Object.values(state.scopes)) end = Math.max(end, s.pauseUntil, s.resetAt);
  return Math.ceil(end - now + ttlMs);
}
