/**
 * Percent-decoding that never throws: a malformed escape (`%E0%A4%A`, a lone `%`) leaves the
 * text as it was. Credentials are looked for in decoded and raw form alike, so a value that does
 * not decode is still worth matching as written.
 */

/**
 * `decodeURIComponent(text)`, or `text` itself when it does not decode.
 *
 * @example
 * ```ts
 * decodeOrKeep('sk%2Flive'); // 'sk/live'
 * decodeOrKeep('100%'); // '100%'
 * ```
 */
export function decodeOrKeep(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * A query or form value decoded as `application/x-www-form-urlencoded` reads it (`+` is a
 * space), or `text` itself when it does not decode.
 *
 * @example
 * ```ts
 * decodeFormOrKeep('a+b%21'); // 'a b!'
 * ```
 */
export function decodeFormOrKeep(text: string): string {
  return decodeOrKeep(text.replace(/\+/g, ' '));
}
