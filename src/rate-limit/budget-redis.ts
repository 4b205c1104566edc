import type { Redis } from 'ioredis';
import type { AcquireResult, BudgetState, SettleInput, SettleResult } from './budget.js';
import type { BudgetStore } from './budget-store.js';

/** Options of {@link createRedisBudgetStore}. */
export interface RedisBudgetStoreOptions {
  /** A connected ioredis client; the store does not close it. */
  readonly client: Redis;
  /** The Redis key of the budget hash. Derive it from host + credential hash, never the raw key. */
  readonly key: string;
  /**
   * Idle time after which the budget is forgotten (a pause always outlives it).
   *
   * @default 600000
   */
  readonly ttlMs?: number;
}

// The steps of budget.ts, transcribed: keep the two in sync (the tests run one scenario
// table against both stores).
const SCRIPT = `
local key = KEYS[1]
local op = ARGV[1]
local now = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local raw = redis.call('HGETALL', key)
local h = {}
for i = 1, #raw, 2 do h[raw[i]] = raw[i + 1] end
local function num(name, default)
  local v = tonumber(h[name])
  if v == nil then return default end
  return v
end
local st = { pu = num('pu', 0), ps = h['ps'] or '', ra = num('ra', 0), rm = num('rm', -1), lm = num('lm', 0),
  sn = num('sn', 0), inf = num('inf', 0), pr = num('pr', 0), np = num('np', 1), sk = num('sk', 0), ep = num('ep', now) }
if op == 'snapshot' then return raw end
-- A worker that has used this budget before finds it gone (FLUSHALL, eviction, failover):
-- learn the window again from one probe instead of letting everyone burst.
if #raw == 0 and op == 'acquire' and ARGV[5] == '1' then st.np = 1 end
if op == 'peek' then
  if st.pu > now then return { st.pu, st.ps } end
  return { 0, '' }
end
local function f(x) return string.format('%.0f', x) end
local function save()
  redis.call('HSET', key, 'pu', f(st.pu), 'ps', st.ps, 'ra', f(st.ra), 'rm', f(st.rm), 'lm', f(st.lm),
    'sn', f(st.sn), 'inf', f(st.inf), 'pr', f(st.pr), 'np', f(st.np), 'sk', f(st.sk), 'ep', f(st.ep))
  local keep = ttl
  if st.pu - now + ttl > keep then keep = st.pu - now + ttl end
  redis.call('PEXPIRE', key, f(keep))
end
local function rollover()
  if st.ra > 0 and now >= st.ra and now >= st.pu then
    st.ra = 0; st.rm = -1; st.sn = st.inf; st.np = 1; st.ep = st.ep + 1
  end
end
if op == 'acquire' then
  local lease = tonumber(ARGV[4])
  rollover()
  local result
  if now < st.pu then result = { 0, st.pu, 'pause', st.ps }
  elseif st.pr > now then result = { 0, st.pr, 'probe', 'probe' }
  elseif st.rm == 0 then result = { 0, st.ra, 'exhausted', 'ratelimit-remaining' }
  else
    local probe = st.np
    if probe == 1 then st.pr = now + lease end
    if st.rm > 0 then st.rm = st.rm - 1 end
    st.sn = st.sn + 1
    st.inf = st.inf + 1
    result = { 1, probe, f(st.ep) }
  end
  save()
  return result
end
-- settle
local probe = ARGV[4] == '1'
local epoch = tonumber(ARGV[5])
local answered = ARGV[6] == '1'
st.inf = math.max(0, st.inf - 1)
if probe then
  st.pr = 0
  if answered then st.np = 0 end
end
if ARGV[7] == '1' then st.sk = 0 end
rollover()
local bRem, bReset, bLimit = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
if ARGV[8] == '1' and epoch == st.ep and bReset > now then
  if bLimit > 0 then st.lm = bLimit end
  if st.ra == 0 then
    st.ra = bReset
    local estimate = bRem - st.inf
    if st.lm > 0 then estimate = math.min(bRem, st.lm - st.sn) end
    st.rm = math.max(0, estimate)
  else
    st.ra = math.min(st.ra, bReset)
    st.rm = math.max(0, math.min(st.rm, bRem))
  end
end
if ARGV[12] == '1' then
  local untilv, source = tonumber(ARGV[13]), ARGV[14]
  if untilv < 0 then
    untilv = now + math.min(tonumber(ARGV[16]), tonumber(ARGV[15]) * (2 ^ st.sk))
    st.sk = st.sk + 1
    source = 'fallback'
  end
  if untilv >= st.pu then st.pu = untilv; st.ps = source end
  st.rm = 0
  st.ra = math.max(now, st.pu)
end
save()
if st.pu > now then return { st.pu, st.ps } end
return { 0, '' }
`;

type ScriptReply = Array<number | string>;
interface BudgetCommand {
  surefetchBudget(key: string, ...args: Array<string | number>): Promise<ScriptReply>;
}

/**
 * Creates a budget kept in one Redis hash, shared by every process that uses the same `key`.
 * Each operation is one Lua script call, so it is atomic across workers. Times are the
 * callers' `clock.now()`: workers on different hosts need synchronized clocks. When the hash
 * disappears under a worker that used it (FLUSHALL, eviction), the next send probes first.
 *
 * @example
 * ```ts
 * const store = createRedisBudgetStore({ client: new Redis(url), key: 'surefetch:api.example.com:3f2a…:budget' });
 * ```
 */
export function createRedisBudgetStore(options: RedisBudgetStoreOptions): BudgetStore {
  const { client, key, ttlMs = 600_000 } = options;
  let seen = false;
  const withCommand = client as unknown as Redis & Partial<BudgetCommand>;
  if (withCommand.surefetchBudget === undefined) client.defineCommand('surefetchBudget', { numberOfKeys: 1, lua: SCRIPT });
  const run = (op: string, now: number, ...args: Array<string | number>): Promise<ScriptReply> =>
    (client as unknown as BudgetCommand).surefetchBudget(key, op, Math.floor(now), Math.ceil(ttlMs), ...args);

  return {
    async acquire(now: number, probeLeaseMs: number): Promise<AcquireResult> {
      const reply = await run('acquire', now, Math.ceil(probeLeaseMs), seen ? 1 : 0);
      seen = true;
      if (Number(reply[0]) === 1) return { go: true, probe: Number(reply[1]) === 1, epoch: Number(reply[2]) };
      const reason = String(reply[2]) as 'pause' | 'exhausted' | 'probe';
      return { go: false, until: Number(reply[1]), reason, source: String(reply[3]) };
    },
    async settle(now: number, input: SettleInput): Promise<SettleResult> {
      const { budget, pause } = input;
      const reply = await run(
        'settle',
        now,
        input.probe ? 1 : 0,
        input.epoch,
        input.answered ? 1 : 0,
        input.success ? 1 : 0,
        budget === undefined ? 0 : 1,
        Math.floor(budget?.remaining ?? 0),
        Math.ceil(budget?.resetAt ?? 0),
        Math.floor(budget?.limit ?? 0),
        pause === undefined ? 0 : 1,
        pause?.until === undefined ? -1 : Math.ceil(pause.until),
        pause?.source ?? '',
        Math.ceil(pause?.fallbackMs ?? 0),
        Math.ceil(pause?.maxFallbackMs ?? 0),
      );
      return { pauseUntil: Number(reply[0]), pauseSource: String(reply[1]) };
    },
    async pausedUntil(now: number): Promise<SettleResult> {
      const reply = await run('peek', now);
      return { pauseUntil: Number(reply[0]), pauseSource: String(reply[1]) };
    },
    async snapshot(): Promise<BudgetState | undefined> {
      const raw = await run('snapshot', 0);
      if (raw.length === 0) return undefined;
      const h = new Map<string, string>();
      for (let i = 0; i + 1 < raw.length; i += 2) h.set(String(raw[i]), String(raw[i + 1]));
      const n = (name: string): number => Number(h.get(name) ?? 0);
      return {
        pauseUntil: n('pu'),
        pauseSource: h.get('ps') ?? '',
        resetAt: n('ra'),
        remaining: n('rm'),
        limit: n('lm'),
        sent: n('sn'),
        inflight: n('inf'),
        probeUntil: n('pr'),
        needProbe: n('np') === 1,
        strikes: n('sk'),
        epoch: n('ep'),
      };
    },
  };
}
