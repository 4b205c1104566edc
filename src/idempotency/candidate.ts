import { sha256Hex } from '../core/bytes.js';
import type { Comparison } from './compare.js';

/** What a lookup knows about the call it looks for. */
export interface OriginalCall {
  /** The create's URL. */
  readonly url: URL;
  /** The create's body, parsed as JSON (`undefined` when it is not JSON). */
  readonly body: unknown;
  /** The client request id of the call. */
  readonly clientRequestId: string;
  /** When the call was first sent (epoch ms, our clock); `undefined` when unknown. */
  readonly firstSentAt: number | undefined;
}

/** How one candidate of a lookup answer relates to the call. */
export type CandidateVerdict =
  /** It carries this call's reference: it is this call's resource, whatever else differs. */
  | { readonly kind: 'mine' }
  /** Identifying keys, time window and every sent field agree. */
  | { readonly kind: 'match' }
  /** Identifying keys and time window agree but the listed fields differ (or its time is unreadable): ask a person. */
  | { readonly kind: 'near'; readonly differences: readonly string[] }
  /** Someone else's resource. */
  | { readonly kind: 'other' };

/** The matching rules a lookup applies to each candidate (see `LookupOptions`). */
export interface CandidateRules {
  readonly requiredFields: readonly string[];
  readonly reference: { readonly of: (original: OriginalCall) => string | undefined; readonly in: (candidate: unknown) => unknown } | undefined;
  readonly matches: ((candidate: unknown, original: OriginalCall) => boolean) | undefined;
  readonly identifies: (candidate: unknown, original: OriginalCall) => boolean;
  readonly compare: (candidate: unknown, original: OriginalCall) => Comparison;
  readonly createdAt: ((candidate: unknown) => number | undefined) | undefined;
  readonly clockSkewMs: number;
}

/**
 * Judges one candidate. Throws when it lacks a required field: an answer of another shape than
 * expected proves nothing, so the check must fail closed rather than call it "someone else's".
 *
 * @param serverBehindMs - how far the lookup's `Date` shows the server's clock behind ours (0: not)
 */
export function judgeCandidate(candidate: unknown, original: OriginalCall, rules: CandidateRules, now: number, serverBehindMs = 0): CandidateVerdict {
  const missing = rules.requiredFields.find((path) => valueAt(candidate, path) === undefined);
  if (missing !== undefined) throw new Error(`a candidate has no "${missing}"`);
  const reference = rules.reference?.of(original);
  if (rules.reference !== undefined && reference !== undefined) {
    const theirs = rules.reference.in(candidate);
    if (theirs === reference) return { kind: 'mine' };
    // Ours as the server stored it (trimmed, re-cased, a number): no proof either way, ask a person.
    if (folded(theirs) === folded(reference)) return { kind: 'near', differences: ['the reference (stored in another form)'] };
    // Another call's reference: someone else's resource. No reference stored: judge by fields.
    if (theirs !== undefined && theirs !== null && theirs !== '') return { kind: 'other' };
  }
  if (rules.matches !== undefined) return rules.matches(candidate, original) ? { kind: 'match' } : { kind: 'other' };
  if (!rules.identifies(candidate, original)) {
    // Identified once case and spacing are set aside: the server may have normalized what it stored.
    const foldedOriginal: OriginalCall = { ...original, body: foldedJson(original.body) };
    if (!rules.identifies(foldedJson(candidate), foldedOriginal)) return { kind: 'other' };
    // Created before the call, it is not ours in any form.
    const folding = inWindow(candidate, original, rules, now, serverBehindMs);
    if (folding === 'before') return { kind: 'other' };
    const stored = 'identifying fields (stored in another form: case, spacing, Unicode composition or an e-mail domain in ASCII)';
    return { kind: 'near', differences: folding === 'skewed' ? [stored, skewedReason(serverBehindMs)] : [stored] };
  }
  const window = inWindow(candidate, original, rules, now, serverBehindMs);
  if (window === 'before') return { kind: 'other' };
  if (window === 'unknown') return { kind: 'near', differences: ['createdAt (unreadable)'] };
  if (window === 'skewed') return { kind: 'near', differences: [skewedReason(serverBehindMs)] };
  const comparison = rules.compare(candidate, original);
  return comparison.equal ? { kind: 'match' } : { kind: 'near', differences: comparison.differences };
}

function skewedReason(serverBehindMs: number): string {
  return `createdAt (before this call by our clock, inside it by the server's, which its Date shows at least ${(serverBehindMs / 1000).toFixed(1)} s behind ours)`;
}

// A text as servers commonly normalize it: Unicode-composed, trimmed, spaces collapsed, lower
// case, and an e-mail address's domain in its ASCII form (`ada@bücher.de` is stored as
// `ada@xn--bcher-kva.de` by many).
function folded(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const text = value.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
  const email = EMAIL.exec(text);
  // Only a domain beyond ASCII: the URL parser also rewrites what is ASCII already (`1.5` as an address).
  return email === null || !NON_ASCII.test(email[2]!) ? text : `${email[1]}@${asciiDomain(email[2]!)}`;
}

const NON_ASCII = /[^\x00-\x7f]/;

const EMAIL = /^([^\s@]+)@([^\s@/\\?#:[\]]+)$/;

function asciiDomain(domain: string): string {
  try {
    // The WHATWG URL parser applies IDNA (UTS #46), in every runtime that has fetch.
    return new URL(`http://${domain}`).hostname;
  } catch {
    return domain;
  }
}

function foldedJson(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return folded(value);
  if (value === null || typeof value !== 'object' || depth > 16) return value;
  if (Array.isArray(value)) return value.map((item) => foldedJson(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, foldedJson(item, depth + 1)]));
}

/**
 * Whether a candidate was created inside the call's window: not before the first send minus
 * the clock skew allowed between us and the server. Later is always possible (a late commit).
 * Before it by our clock but not by the server's, as far as its `Date` shows it behind ours,
 * the candidate is `skewed`: it may be ours stamped by a slow clock, or someone else's, and
 * only a person can tell (a `Date` can come from another clock than the one that stamped it,
 * so it never makes a candidate a match, only keeps it from proving that ours is absent).
 */
function inWindow(candidate: unknown, original: OriginalCall, rules: CandidateRules, now: number, serverBehindMs: number): 'inside' | 'before' | 'skewed' | 'unknown' {
  if (rules.createdAt === undefined) return 'inside';
  const created = rules.createdAt(candidate);
  if (created === undefined || !Number.isFinite(created)) return 'unknown';
  const since = (original.firstSentAt ?? now) - rules.clockSkewMs;
  if (created >= since) return 'inside';
  return created >= since - serverBehindMs ? 'skewed' : 'before';
}

/**
 * The value at a dotted path (`shipTo.email`), `undefined` when any step is missing. A `null`
 * leaf counts as present.
 *
 * @example
 * ```ts
 * valueAt({ shipTo: { email: 'a@b.c' } }, 'shipTo.email'); // 'a@b.c'
 * ```
 */
export function valueAt(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * A candidate's identity across reads and pages: its `id` field, else a hash of its JSON. Not
 * the JSON itself: the identity is quoted in `ExistenceCheckError` (its reason, `nearMatches`),
 * and a stored item may echo a secret the create sent.
 */
export function candidateId(candidate: unknown): string {
  const id = candidate !== null && typeof candidate === 'object' ? (candidate as { id?: unknown }).id : undefined;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : `(no id, content ${sha256Hex(JSON.stringify(candidate) ?? String(candidate)).slice(0, 16)})`;
}

/** The JSON a create sent, `undefined` for a body that is not JSON or not at hand (a stream). */
export function sentJson(body: Uint8Array | ReadableStream<Uint8Array> | null): unknown {
  if (!(body instanceof Uint8Array)) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(body)) as unknown;
  } catch {
    return undefined;
  }
}

/** Why near matches fail the check: up to three of them, each with the fields it differs in. @internal */
export function nearMatchReason(near: ReadonlyMap<string, readonly string[]>, matches: number): string {
  const described = [...near].slice(0, 3).map(([id, differences]) => `${id} differs in ${differences.join(', ') || 'unknown fields'}`);
  const also = matches > 0 ? ` beside ${matches} exact match` : '';
  return `a near match${also}: ${described.join('; ')}`;
}
