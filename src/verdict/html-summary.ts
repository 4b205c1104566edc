/** The longest message surefetch derives from an error body. */
export const MAX_MESSAGE_LENGTH = 500;

// Only the start of a page is searched: the title and first heading are near the top, and a
// bounded scan keeps a multi-megabyte error page cheap.
const SCAN_LIMIT = 100_000;
const TAG = /<\/?[A-Za-z][\w:-]*(?:\s[^<>]*)?\/?>|<!--|<!doctype/i;
const KNOWN_TAG =
  /<\/?(?:a|abbr|b|body|br|code|div|em|h[1-6]|head|hr|html|i|li|ol|p|pre|script|small|span|strong|style|table|tbody|td|th|thead|title|tr|u|ul)\b[^<>]*>/gi;
const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/**
 * Whether a body contains HTML markup (a tag, a comment or a doctype).
 *
 * @example
 * ```ts
 * looksLikeHtml('<h1>Bad Gateway</h1>'); // true
 * looksLikeHtml('Unauthorized'); // false
 * ```
 */
export function looksLikeHtml(body: string): boolean {
  return TAG.test(body.slice(0, SCAN_LIMIT));
}

/**
 * A one-line summary of an HTML error page: the text of its `<title>`, else of its first
 * `<h1>`; `undefined` when it has neither (the page itself is never the summary).
 *
 * @example
 * ```ts
 * htmlSummary('<html><title>502 Bad Gateway</title>...</html>'); // '502 Bad Gateway'
 * ```
 */
export function htmlSummary(html: string): string | undefined {
  const page = html.slice(0, SCAN_LIMIT);
  for (const tag of ['title', 'h1']) {
    const open = new RegExp(`<${tag}[\\s>]`, 'i').exec(page);
    const start = open === null ? -1 : page.indexOf('>', open.index);
    const close = new RegExp(`</${tag}`, 'gi');
    close.lastIndex = start + 1;
    const end = start < 0 ? -1 : (close.exec(page)?.index ?? -1);
    if (end < 0) continue;
    const text = cleanMessage(decodeEntities(page.slice(start + 1, end).replace(/<[^>]*>/g, ' ')), true);
    if (text !== '') return text;
  }
  return undefined;
}

/**
 * Makes any server-provided text fit for a person and a log line: known HTML tags removed
 * (all tag-like text and angle brackets in `strict` mode, used for HTML bodies), control
 * characters dropped, whitespace collapsed, and at most {@link MAX_MESSAGE_LENGTH} characters.
 * Outside strict mode, placeholders like `<reason>` or `<string>` are kept: they are text.
 *
 * @param strict - remove every tag-like text and angle bracket; `false` when omitted
 * @example
 * ```ts
 * cleanMessage('  Invalid\n  request <b>body</b> '); // 'Invalid request body'
 * ```
 */
export function cleanMessage(text: string, strict = false): string {
  let out = text.replace(KNOWN_TAG, ' ');
  if (strict) out = out.replace(/<[^<>]*>/g, ' ').replace(/[<>]/g, '');
  out = out.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').replace(/\s+/g, ' ').trim();
  return truncate(out, MAX_MESSAGE_LENGTH);
}

/**
 * Cuts text to `max` characters, ending with an ellipsis when cut, never splitting a
 * surrogate pair.
 *
 * @example
 * ```ts
 * truncate('abcdef', 4); // 'abc…'
 * ```
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,6});/gi, (entity, name: string) => {
    if (name.startsWith('#')) {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : Number(name.slice(1));
      return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : '';
    }
    return ENTITIES[name.toLowerCase()] ?? entity;
  });
}
