/** Where known secrets occur in a text: whole, in an escaped echo, or cut off at its end. */
import { partialEscapeStart, unescapeText, type UnescapedText } from './escaped-text.js';
import { MIN_SECRET_LENGTH } from './secret-forms.js';
import { memoized } from './memo.js';

// The shortest start of a secret removed from the end of a cut text. Over-redacting the last
// few characters of a body that is already cut costs nothing a reader needs, while each kept
// character is secret material; but below 4 the end of ordinary text (`sk_`, `ab`) matches the
// start of some secret far too often, and 3 leading characters (often a public prefix such as
// `sk_`) leave the rest of any 8-character-or-longer secret unguessed.
const MIN_FRAGMENT_LENGTH = 4;
const wordChar = /[A-Za-z0-9]/;

/**
 * Marks in `covered` every occurrence in `text` of each secret: as it is, URL-encoded (upper or
 * lower case) or form-encoded, and behind JSON, HTML or percent escapes (see {@link unescapeText}). Secrets of
 * 8 characters or more are marked anywhere, shorter ones only as a whole word, so that a
 * 3-character key does not eat every `401`.
 *
 * @example
 * ```ts
 * const covered = new Uint8Array(text.length);
 * markSecrets(text, ['sk_live_123'], covered);
 * ```
 */
export function markSecrets(text: string, secrets: readonly string[], covered: Uint8Array): void {
  const forms = candidates(secrets);
  // Nothing to look for: no unescaped view to build (an event's every field comes here).
  if (forms.length === 0) return;
  for (const view of viewsOf(text)) {
    for (const secret of forms) {
      const anywhere = secret.length >= MIN_SECRET_LENGTH;
      for (let at = view.text.indexOf(secret); at >= 0; at = view.text.indexOf(secret, at + 1)) {
        if (anywhere || isWholeWord(view.text, secret, at)) covered.fill(1, view.sourceAt(at), view.sourceAt(at + secret.length));
      }
    }
  }
}

/**
 * Marks in `covered` the end of a text that was cut (at a size cap, a timeout, a broken
 * connection) when that end is the start, 4 characters or more, of a secret in any of the
 * forms {@link markSecrets} knows, an unfinished escape included: the rest of the secret is
 * past the cut, so looking for it whole would miss it. The start of a secret shorter than 8
 * characters counts only at the start of a word.
 *
 * @example
 * ```ts
 * markTrailingFragment('invalid key sk_live_4e', ['sk_live_4eC39Hq'], covered); // marks 'sk_live_4e'
 * ```
 */
export function markTrailingFragment(text: string, secrets: readonly string[], covered: Uint8Array): void {
  const forms = candidates(secrets);
  if (forms.length === 0) return;
  const partial = partialEscapeStart(text);
  let from = text.length;
  for (const head of partial < text.length ? [text, text.slice(0, partial)] : [text]) {
    for (const view of viewsOf(head)) {
      for (const secret of forms) {
        const length = longestPrefixAtEnd(view.text, secret);
        const start = view.text.length - length;
        if (length < MIN_FRAGMENT_LENGTH || (secret.length < MIN_SECRET_LENGTH && !startsWord(view.text, start))) continue;
        from = Math.min(from, view.sourceAt(start));
      }
    }
  }
  covered.fill(1, from, text.length);
}

const NO_FORMS: readonly string[] = Object.freeze([]);

// Every form of every secret in the list, each once.
function candidates(secrets: readonly string[]): readonly string[] {
  if (secrets.length === 0) return NO_FORMS;
  if (secrets.length === 1 && typeof secrets[0] === 'string') return formsOfSecret(secrets[0]);
  const out = new Set<string>();
  for (const secret of secrets) if (typeof secret === 'string') for (const form of formsOfSecret(secret)) out.add(form);
  return out.size === 0 ? NO_FORMS : Object.freeze([...out]);
}

// The forms of each secret, made once: the same credential goes with call after call (the
// process holds it anyway); the memo is emptied when full, and keeps no long value (a body's).
const formsBySecret = new Map<string, readonly string[]>();
const MAX_SECRETS = 256;
const MAX_KEPT_LENGTH = 4096;

function formsOfSecret(secret: string): readonly string[] {
  if (secret.length === 0) return NO_FORMS;
  return secret.length > MAX_KEPT_LENGTH ? makeForms(secret) : memoized(formsBySecret, secret, MAX_SECRETS, makeForms, undefined);
}

function makeForms(secret: string): readonly string[] {
  const out = new Set<string>([secret]);
  try {
    const encoded = encodeURIComponent(secret);
    // Lower-case `%c3%a9`: the unescaped view leaves non-ASCII bytes alone.
    out.add(encoded).add(encoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()));
    // Form-encoded, as a form post or a server quoting one writes it: a space is `+`, and
    // `~ ! ' ( )` are escaped (the unescaped view reads `%20`, not `+`).
    out.add(encoded.replaceAll('%20', '+')).add(new URLSearchParams([['', secret]]).toString().slice(1));
  } catch {
    // A lone surrogate has no URL encoding; the raw secret is still covered.
  }
  return Object.freeze([...out]);
}

function viewsOf(text: string): UnescapedText[] {
  const plain: UnescapedText = { text, sourceAt: (index) => index };
  const unescaped = unescapeText(text);
  return unescaped === undefined ? [plain] : [plain, unescaped];
}

function isWholeWord(text: string, secret: string, at: number): boolean {
  const end = at + secret.length;
  const after = end === text.length || !wordChar.test(text.charAt(end)) || !wordChar.test(secret.charAt(secret.length - 1));
  return startsWord(text, at) && after;
}

function startsWord(text: string, at: number): boolean {
  return at === 0 || !wordChar.test(text.charAt(at - 1)) || !wordChar.test(text.charAt(at));
}

/** The length of the longest start of `pattern` that `text` ends with (Knuth–Morris–Pratt: linear). */
function longestPrefixAtEnd(text: string, pattern: string): number {
  const fallback = new Int32Array(pattern.length);
  for (let i = 1, k = 0; i < pattern.length; i += 1) {
    while (k > 0 && pattern[i] !== pattern[k]) k = fallback[k - 1] ?? 0;
    if (pattern[i] === pattern[k]) k += 1;
    fallback[i] = k;
  }
  let matched = 0;
  for (let i = Math.max(0, text.length - pattern.length); i < text.length; i += 1) {
    if (matched === pattern.length) matched = fallback[matched - 1] ?? 0;
    while (matched > 0 && text[i] !== pattern[matched]) matched = fallback[matched - 1] ?? 0;
    if (text[i] === pattern[matched]) matched += 1;
  }
  return matched;
}
