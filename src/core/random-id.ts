/**
 * Random (version 4) UUIDs, the default client request ids: from the same source as
 * `crypto.randomUUID` (`crypto.getRandomValues`), drawn for 256 ids at a time, each written out
 * as one string. Node's `randomUUID` builds each id from twenty concatenations, about 600 bytes
 * of short-lived strings on the path every call takes.
 */
const IDS_PER_DRAW = 256;
const drawn = new Uint8Array(16 * IDS_PER_DRAW);
let nextId = IDS_PER_DRAW;

// The character codes of each byte's two hex digits, and the 36 codes of the id being written
// (the dashes stay where they are).
const HEX_CODES = Uint8Array.from({ length: 512 }, (_, index) => '0123456789abcdef'.charCodeAt(index % 2 === 0 ? index >> 5 : (index >> 1) & 15));
const DASH = 45;
const codes: number[] = Array.from({ length: 36 }, () => DASH);
const BYTE_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/**
 * A new random version 4 UUID, as `crypto.randomUUID()` gives.
 *
 * @example
 * ```ts
 * randomId(); // '3b241101-e2bb-4255-8caf-4136c566a962'
 * ```
 */
export function randomId(): string {
  if (nextId === IDS_PER_DRAW) {
    crypto.getRandomValues(drawn);
    nextId = 0;
  }
  const offset = 16 * nextId;
  nextId += 1;
  for (let index = 0; index < 16; index += 1) {
    let byte = drawn[offset + index]!;
    // RFC 9562: the version (4) in byte 6, the variant (10xx) in byte 8.
    if (index === 6) byte = (byte & 0x0f) | 0x40;
    else if (index === 8) byte = (byte & 0x3f) | 0x80;
    const at = BYTE_AT[index]!;
    codes[at] = HEX_CODES[2 * byte]!;
    codes[at + 1] = HEX_CODES[2 * byte + 1]!;
  }
  return String.fromCharCode(...codes);
}
