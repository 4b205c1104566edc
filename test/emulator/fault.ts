/**
 * The fault engine shared by both emulated APIs: faults scripted per route, a seeded random
 * fault mix, and the seeded PRNG itself. This is the only emulator module that produces
 * pseudo-random numbers, so every run with the same seed and request order is identical.
 */

/**
 * One injected fault. "Apply" means the emulator commits the request (creates the record);
 * a fault either applies it and then misbehaves, or misbehaves without applying it.
 */
export type Fault =
  /** Apply, then answer the API's 500. */
  | { readonly kind: 'commit-then-500' }
  /** Apply, then destroy the socket without answering. */
  | { readonly kind: 'commit-then-reset' }
  /** Apply, then send nothing; after `stallMs` (when given) send the normal answer. */
  | { readonly kind: 'commit-then-stall'; readonly stallMs?: number }
  /**
   * Answer the API's 500 at once (or, with `stallMs`, after sending nothing for that long),
   * and apply the request only `commitDelayMs` after it arrived.
   */
  | { readonly kind: 'commit-late'; readonly commitDelayMs: number; readonly stallMs?: number }
  /** Do not apply; answer the API's 500. */
  | { readonly kind: 'reject-500' }
  /** Do not apply; destroy the socket after the body was read. */
  | { readonly kind: 'reset-before-commit' }
  /** Answer 502 with a large HTML page from a proxy; apply only when `commit` is true. */
  | { readonly kind: 'proxy-502'; readonly commit?: boolean }
  /** Do not apply; answer exactly this (an object body is sent as JSON). */
  | {
      readonly kind: 'respond';
      readonly status: number;
      readonly headers?: Readonly<Record<string, string>>;
      readonly body?: unknown;
    }
  /** Wait `ms`, then handle the request normally. */
  | { readonly kind: 'delay'; readonly ms: number };

/** The `kind` of a {@link Fault}. */
export type FaultKind = Fault['kind'];

/** Every fault kind, in the order the fault mix walks its rates. */
export const FAULT_KINDS: readonly FaultKind[] = [
  'commit-then-500',
  'commit-then-reset',
  'commit-then-stall',
  'commit-late',
  'reject-500',
  'reset-before-commit',
  'proxy-502',
  'respond',
  'delay',
];

/** A seeded random fault for every request on the listed routes. */
export interface FaultMix {
  /** Route keys (`'POST /v1/orders/create'`) the mix applies to; `'*'` means every route. */
  readonly routes: readonly string[];
  /** Probability of each kind per request; they must sum to at most 1 (the rest: no fault). */
  readonly rates: Readonly<Partial<Record<FaultKind, number>>>;
  /** PRNG seed. @default the emulator's `seed` option */
  readonly seed?: number;
  /** `stallMs` of drawn stalls. @default undefined (stall until the client gives up) */
  readonly stallMs?: number;
  /** `commitDelayMs` of drawn `commit-late` faults. @default 100 */
  readonly commitDelayMs?: number;
  /** `ms` of drawn `delay` faults. @default 50 */
  readonly delayMs?: number;
  /** The answer of drawn `respond` faults. @default 503 with `Retry-After: 1`, empty body */
  readonly respond?: { readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: unknown };
}

/** The scripting surface an emulator exposes as `emulator.faults`. */
export interface FaultScript {
  /**
   * Queues faults for a route key (`'POST /v1/orders/create'`, or `'*'` for any route); each
   * matching request consumes the next one. Route-specific queues are used before `'*'`.
   */
  script(routeKey: string, ...faults: Fault[]): void;
  /** Drops every queued fault (the fault mix stays). */
  clear(): void;
  /** How many scripted faults are still queued for `routeKey`, or in all when omitted. */
  pending(routeKey?: string): number;
  /** Replaces the random fault mix; `undefined` turns it off. */
  setMix(mix: FaultMix | undefined): void;
}

/** The engine behind {@link FaultScript}: the server asks it for each request's fault. */
export interface FaultEngine extends FaultScript {
  /** The fault for the next request on `routeKey`: scripted first, else drawn from the mix. */
  next(routeKey: string): Fault | undefined;
}

/**
 * A small, fast, seeded PRNG (mulberry32) returning numbers in [0, 1).
 *
 * @example
 * ```ts
 * const random = mulberry32(42);
 * random(); // same value on every run
 * ```
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return function nextRandom(): number {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A string of `length` characters from `[A-Za-z0-9]` drawn from `random` (for API keys).
 *
 * @example
 * ```ts
 * randomToken(mulberry32(1), 96).length; // 96
 * ```
 */
export function randomToken(random: () => number, length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let token = '';
  for (let i = 0; i < length; i += 1) token += alphabet[Math.floor(random() * alphabet.length)];
  return token;
}

/**
 * Creates a fault engine with an optional random mix.
 *
 * @param mix - the random fault mix. @default none
 * @param defaultSeed - the seed when `mix.seed` is absent. @default 1
 * @example
 * ```ts
 * const engine = createFaultEngine();
 * engine.script('POST /v1/orders/create', { kind: 'reject-500' });
 * engine.next('POST /v1/orders/create'); // { kind: 'reject-500' }
 * ```
 */
export function createFaultEngine(mix?: FaultMix, defaultSeed = 1): FaultEngine {
  const queues = new Map<string, Fault[]>();
  let activeMix: FaultMix | undefined;
  let random: () => number = mulberry32(defaultSeed);

  function setMix(next: FaultMix | undefined): void {
    if (next) assertRates(next.rates);
    activeMix = next;
    random = mulberry32(next?.seed ?? defaultSeed);
  }

  function takeScripted(routeKey: string): Fault | undefined {
    return queues.get(routeKey)?.shift() ?? queues.get('*')?.shift();
  }

  function drawFromMix(routeKey: string): Fault | undefined {
    if (!activeMix) return undefined;
    if (!activeMix.routes.includes(routeKey) && !activeMix.routes.includes('*')) return undefined;
    let roll = random();
    for (const kind of FAULT_KINDS) {
      const rate = activeMix.rates[kind] ?? 0;
      if (roll < rate) return mixFault(kind, activeMix);
      roll -= rate;
    }
    return undefined;
  }

  setMix(mix);
  return {
    script(routeKey: string, ...faults: Fault[]): void {
      const queue = queues.get(routeKey) ?? [];
      queue.push(...faults);
      queues.set(routeKey, queue);
    },
    clear(): void {
      queues.clear();
    },
    pending(routeKey?: string): number {
      if (routeKey !== undefined) return queues.get(routeKey)?.length ?? 0;
      let total = 0;
      for (const queue of queues.values()) total += queue.length;
      return total;
    },
    setMix,
    next(routeKey: string): Fault | undefined {
      return takeScripted(routeKey) ?? drawFromMix(routeKey);
    },
  };
}

function assertRates(rates: FaultMix['rates']): void {
  const values = Object.values(rates).filter((rate): rate is number => rate !== undefined);
  const sum = values.reduce((total, rate) => total + rate, 0);
  if (values.some((rate) => rate < 0) || sum > 1 + 1e-9) {
    throw new RangeError(`fault mix rates must be non-negative and sum to at most 1, got ${sum}`);
  }
}

function mixFault(kind: FaultKind, mix: FaultMix): Fault {
  switch (kind) {
    case 'commit-then-stall':
      return mix.stallMs === undefined ? { kind } : { kind, stallMs: mix.stallMs };
    case 'commit-late': {
      const commitDelayMs = mix.commitDelayMs ?? 100;
      return mix.stallMs === undefined ? { kind, commitDelayMs } : { kind, commitDelayMs, stallMs: mix.stallMs };
    }
    case 'respond':
      return { kind, ...(mix.respond ?? { status: 503, headers: { 'Retry-After': '1' } }) };
    case 'delay':
      return { kind, ms: mix.delayMs ?? 50 };
    default:
      return { kind };
  }
}
