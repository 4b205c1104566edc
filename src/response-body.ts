/** Reading and discarding response bodies without holding more of them than needed. */

/** The largest error body kept on an {@link HttpError}, in bytes. */
export const maxErrorBodyBytes = 64 * 1024;

/**
 * Reads at most `maxBytes` of a response body as text and cancels the rest, so a huge error
 * page never fills memory and the connection is released.
 *
 * @example
 * ```ts
 * const { text, truncated } = await readCappedText(response, 1024);
 * ```
 */
export async function readCappedText(response: Response, maxBytes: number): Promise<{ text: string; truncated: boolean }> {
  if (response.body === null) return { text: '', truncated: false };
  const reader = response.body.getReader();
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let text = '';
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text: text + decoder.decode(), truncated: false };
      const room = maxBytes - size;
      size += value.byteLength;
      if (value.byteLength > room) {
        text += decoder.decode(value.subarray(0, Math.max(0, room)));
        await reader.cancel().catch(() => undefined);
        return { text, truncated: true };
      }
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // A body that breaks off mid-way still yields what arrived.
    return { text, truncated: true };
  }
}

/**
 * Cancels a response body nobody will read, so its connection is released.
 *
 * @example
 * ```ts
 * await discardBody(response);
 * ```
 */
export async function discardBody(response: Response): Promise<void> {
  if (response.body !== null && !response.bodyUsed) await response.body.cancel().catch(() => undefined);
}

