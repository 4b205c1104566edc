/**
 * Undoing the escapes a server applies when it echoes a credential into JSON, HTML or a URL, so
 * that the credential can be found in the echo and cut out of the original text.
 */

/** Text with its escapes undone, and where each of its characters came from. */
export interface UnescapedText {
  /** The text with every escape replaced by the character it stands for. */
  readonly text: string;
  /** For each index of `text`, and for `text.length`, the matching index in the original text. */
  readonly sourceAt: (index: number) => number;
}

// JSON `\uXXXX` and `\/`-style escapes, HTML numeric and named character references, and
// percent-encoded ASCII, each in either case. One alternation scanned once keeps the work linear,
// and tokenising left to right reads `\\u002b` as an escaped backslash followed by text.
const ESCAPE = /\\u([0-9A-Fa-f]{4})|\\([\\/"'])|&#[xX]([0-9A-Fa-f]{1,6});|&#(\d{1,7});|&([A-Za-z]{2,8});|%([0-7][0-9A-Fa-f])/g;
// The named references of characters a credential may contain (and those html-summary decodes).
const NAMED: ReadonlyMap<string, string> = new Map(Object.entries({
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', sol: '/', bsol: '\\', plus: '+', equals: '=',
  colon: ':', semi: ';', percnt: '%', lowbar: '_', period: '.', comma: ',', num: '#', excl: '!', quest: '?',
  dollar: '$', ast: '*', commat: '@', lpar: '(', rpar: ')', verbar: '|',
}));
// The unfinished escape a cut text may end in: `\u00`, `\`, `&#x2`, `&amp`, `%2`.
const PARTIAL_ESCAPE = /(?:\\u[0-9A-Fa-f]{0,3}|\\|&#?[xX]?[0-9A-Fa-f]{0,6}|&[A-Za-z]{1,8}|%[0-9A-Fa-f]?)$/;

/**
 * `source` with JSON `\uXXXX`, `\/`, `\\`, `\"` escapes, HTML `&#NN;`, `&#xNN;` and named
 * references (`&amp;`, `&sol;`, …), and percent-encoded ASCII (`%2f`, `%2F`) undone;
 * `undefined` when it has none, so that plain text costs one scan. Percent-encoded non-ASCII
 * is left alone: its bytes are not characters.
 *
 * @example
 * ```ts
 * unescapeText('key a\\/b&#43;c%3d')?.text; // 'key a/b+c='
 * ```
 */
export function unescapeText(source: string): UnescapedText | undefined {
  if (!/[\\&%]/.test(source)) return undefined;
  // Every escape is longer than what it stands for, so the result is never longer than the source.
  const starts = new Int32Array(source.length + 1);
  let text = '';
  let copiedTo = 0;
  for (const match of source.matchAll(ESCAPE)) {
    const char = decodeEscape(match);
    if (char === undefined) continue;
    for (let at = copiedTo; at < match.index; at += 1) starts[text.length + at - copiedTo] = at;
    text += source.slice(copiedTo, match.index);
    for (let unit = 0; unit < char.length; unit += 1) starts[text.length + unit] = match.index;
    text += char;
    copiedTo = match.index + match[0].length;
  }
  if (copiedTo === 0) return undefined;
  for (let at = copiedTo; at < source.length; at += 1) starts[text.length + at - copiedTo] = at;
  text += source.slice(copiedTo);
  starts[text.length] = source.length;
  return { text, sourceAt: (index) => starts[index] ?? source.length };
}

/**
 * Where an unfinished escape at the end of `text` begins (a body cut inside `&#x2F;`), or
 * `text.length` when it ends in none.
 *
 * @example
 * ```ts
 * partialEscapeStart('key abc\\u00'); // 7
 * ```
 */
export function partialEscapeStart(text: string): number {
  // The longest unfinished escape is `&#x10FFF` or `&lowbar`: the last 9 characters suffice.
  const tailStart = Math.max(0, text.length - 9);
  const match = PARTIAL_ESCAPE.exec(text.slice(tailStart));
  return match === null ? text.length : tailStart + match.index;
}

function decodeEscape(match: RegExpExecArray | RegExpMatchArray): string | undefined {
  const [, unicode, backslashed, hex, decimal, named, percent] = match;
  if (unicode !== undefined) return String.fromCharCode(parseInt(unicode, 16));
  if (backslashed !== undefined) return backslashed;
  if (named !== undefined) return NAMED.get(named.toLowerCase());
  if (percent !== undefined) return String.fromCharCode(parseInt(percent, 16));
  const code = hex !== undefined ? parseInt(hex, 16) : Number(decimal);
  return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : undefined;
}
