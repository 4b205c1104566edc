/**
 * Bytes as Latin-1 text, one character per byte, as undici decodes header names and values
 * (`TextDecoder('latin1')` is windows-1252, which differs for 0x80–0x9F). @internal
 */
export function latin1Text(bytes: unknown): string {
  if (typeof bytes === 'string') return bytes;
  if (!(bytes instanceof Uint8Array)) return String(bytes);
  // Short fields (nearly all) in one call; long ones in slices a call's arguments can hold.
  if (bytes.length <= 4096) return String.fromCharCode(...bytes);
  let text = '';
  for (let start = 0; start < bytes.length; start += 4096) text += String.fromCharCode(...bytes.subarray(start, start + 4096));
  return text;
}
