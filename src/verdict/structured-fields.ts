/**
 * A bare value of an RFC 9651 (RFC 8941 + dates and display strings) Structured Field. Strings,
 * tokens and display strings all become `string` (rate-limit policy names may be either);
 * byte sequences keep their base64 text; a date is a `Date`.
 */
export type SfBareItem = number | string | boolean | Date;

/** One item (or inner list) of a Structured Field, with its parameters. */
export interface SfItem {
  /** The bare value, or the members of an inner list. */
  readonly value: SfBareItem | readonly SfItem[];
  /** The item's parameters, keyed by their lower-case names. */
  readonly params: ReadonlyMap<string, SfBareItem>;
}

/**
 * Parses a Structured Field List (RFC 8941 §4.2.1), such as
 * `"burst";r=0;t=30, "daily";r=900;t=3600`. Returns `undefined` when the field is
 * malformed, because the RateLimit drafts require a malformed field to be ignored whole.
 *
 * @example
 * ```ts
 * parseSfList('"default";r=0;t=30')?.[0]?.params.get('t'); // 30
 * ```
 */
export function parseSfList(input: string | null): readonly SfItem[] | undefined {
  return parseMembers(input, (parser) => parser.parseItemOrInnerList());
}

/**
 * Parses a Structured Field Dictionary (RFC 8941 §4.2.2), such as
 * `limit=100, remaining=0, reset=30`. A key without `=` has the value `true`. Returns
 * `undefined` when the field is malformed.
 *
 * @example
 * ```ts
 * parseSfDictionary('limit=100, remaining=0, reset=30')?.get('reset')?.value; // 30
 * ```
 */
export function parseSfDictionary(input: string | null): ReadonlyMap<string, SfItem> | undefined {
  const entries = parseMembers(input, (parser): [string, SfItem] => {
    const key = parser.parseKey();
    if (parser.peek() !== '=') return [key, { value: true, params: parser.parseParams() }];
    parser.pos += 1;
    return [key, parser.parseItemOrInnerList()];
  });
  return entries === undefined ? undefined : new Map(entries);
}

function parseMembers<T>(input: string | null, parseMember: (parser: SfParser) => T): T[] | undefined {
  if (input === null) return undefined;
  const parser = new SfParser(input.replace(/^[ \t]+|[ \t]+$/g, ''));
  const members: T[] = [];
  try {
    while (!parser.done()) {
      members.push(parseMember(parser));
      parser.skipOws();
      if (parser.done()) break;
      parser.expect(',');
      parser.skipOws();
      if (parser.done()) return undefined; // a trailing comma is malformed
    }
  } catch {
    return undefined;
  }
  return members;
}

// fatal: a display string of invalid UTF-8 makes the field malformed (RFC 9651 §4.2.10).
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
// Sticky patterns: each is matched at the parser's position in one exec, not char by char.
const TOKEN = /[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*/y;
const KEY = /[a-z*][a-z0-9_\-.*]*/y;
const NUMBER = /-?(\d{1,15})(?:\.(\d{1,3}))?/y;
const PLAIN_STRING = /"([\x20\x21\x23-\x5b\x5d-\x7e]*)"/y; // a string without escapes

class SfParser {
  pos = 0;
  private readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string {
    return this.text.charAt(this.pos);
  }

  expect(char: string): void {
    if (this.peek() !== char) throw new SyntaxError(`expected "${char}" at ${this.pos}`);
    this.pos += 1;
  }

  skipOws(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos += 1;
  }

  private skipSp(): void {
    while (this.peek() === ' ') this.pos += 1;
  }

  parseItemOrInnerList(): SfItem {
    if (this.peek() !== '(') return { value: this.parseBareItem(), params: this.parseParams() };
    this.pos += 1;
    const members: SfItem[] = [];
    for (;;) {
      this.skipSp();
      if (this.peek() === ')') break;
      members.push({ value: this.parseBareItem(), params: this.parseParams() });
      if (this.peek() !== ' ' && this.peek() !== ')') throw new SyntaxError('bad inner list');
    }
    this.pos += 1;
    return { value: members, params: this.parseParams() };
  }

  parseParams(): ReadonlyMap<string, SfBareItem> {
    const params = new Map<string, SfBareItem>();
    while (this.peek() === ';') {
      this.pos += 1;
      this.skipSp();
      const key = this.parseKey();
      let value: SfBareItem = true;
      if (this.peek() === '=') {
        this.pos += 1;
        value = this.parseBareItem();
      }
      params.set(key, value);
    }
    return params;
  }

  parseKey(): string {
    const key = this.sticky(KEY)?.[0];
    if (key === undefined) throw new SyntaxError('bad key');
    return key;
  }

  private sticky(pattern: RegExp): RegExpExecArray | null {
    pattern.lastIndex = this.pos;
    const match = pattern.exec(this.text);
    if (match !== null) this.pos = pattern.lastIndex;
    return match;
  }

  private parseBareItem(): SfBareItem {
    const char = this.peek();
    if (char === '-' || /[0-9]/.test(char)) return this.parseNumber();
    if (char === '"') return this.parseString();
    if (char === '?') return this.parseBoolean();
    if (char === ':') return this.parseByteSequence();
    if (char === '@') return this.parseDate();
    if (char === '%') return this.parseDisplayString();
    if (/[A-Za-z*]/.test(char)) return this.parseToken();
    throw new SyntaxError('bad bare item');
  }

  private parseNumber(): number {
    const match = this.sticky(NUMBER);
    if (match === null) throw new SyntaxError('bad number');
    const [whole, integer = '', fraction] = match;
    if (fraction !== undefined && integer.length > 12) throw new SyntaxError('decimal too long');
    if (/[0-9.]/.test(this.peek())) throw new SyntaxError('number too long');
    return Number(whole);
  }

  private parseString(): string {
    const plain = this.sticky(PLAIN_STRING);
    if (plain !== null) return plain[1] ?? '';
    this.pos += 1;
    let out = '';
    for (;;) {
      const char = this.peek();
      this.pos += 1;
      if (char === '"') return out;
      if (char === '\\') {
        const escaped = this.peek();
        if (escaped !== '"' && escaped !== '\\') throw new SyntaxError('bad escape');
        out += escaped;
        this.pos += 1;
      } else if (char === '' || char < ' ' || char > '~') {
        throw new SyntaxError('bad string');
      } else {
        out += char;
      }
    }
  }

  private parseToken(): string {
    return this.sticky(TOKEN)?.[0] ?? '';
  }

  private parseBoolean(): boolean {
    const value = this.text.charAt(this.pos + 1);
    if (value !== '0' && value !== '1') throw new SyntaxError('bad boolean');
    this.pos += 2;
    return value === '1';
  }

  private parseByteSequence(): string {
    const end = this.text.indexOf(':', this.pos + 1);
    const body = end < 0 ? '' : this.text.slice(this.pos + 1, end);
    if (end < 0 || !/^[A-Za-z0-9+/=]*$/.test(body)) throw new SyntaxError('bad byte sequence');
    atob(body); // throws on what does not decode: a misplaced "=", a length of 4n + 1
    this.pos = end + 1;
    return body;
  }

  // RFC 9651 §4.2.7: `@` and an integer (not a decimal) number of seconds since the epoch.
  private parseDate(): Date {
    this.pos += 1;
    const match = /^-?\d{1,15}/.exec(this.text.slice(this.pos, this.pos + 17));
    if (match === null) throw new SyntaxError('bad date');
    this.pos += match[0].length;
    if (/[0-9.]/.test(this.peek())) throw new SyntaxError('a date is an integer');
    return new Date(Number(match[0]) * 1000);
  }

  // RFC 9651 §4.2.10: `%"`, printable ASCII and lower-case `%xx` escapes of UTF-8 bytes, `"`.
  private parseDisplayString(): string {
    if (this.text.charAt(this.pos + 1) !== '"') throw new SyntaxError('bad display string');
    this.pos += 2;
    const bytes: number[] = [];
    for (;;) {
      const char = this.peek();
      this.pos += 1;
      if (char === '' || char < ' ' || char > '~') throw new SyntaxError('bad display string');
      if (char === '"') return utf8Decoder.decode(new Uint8Array(bytes));
      if (char !== '%') bytes.push(char.charCodeAt(0));
      else {
        const hex = this.text.slice(this.pos, this.pos + 2);
        if (!/^[0-9a-f]{2}$/.test(hex)) throw new SyntaxError('bad display string escape');
        bytes.push(Number.parseInt(hex, 16));
        this.pos += 2;
      }
    }
  }
}
