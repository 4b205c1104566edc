import { parseErrorBody } from './error-body.js';
import { AuthError, HttpError } from './errors.js';
import { redactHeaders, redactText, redactUrl, secretsOf } from './redact.js';
import type { CallContext, SentState, Verdict } from './types.js';

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

/** What the retry layer knows about the attempt that produced an error answer. */
export interface HttpErrorFacts {
  readonly attempts: number;
  readonly verdict: Verdict;
  readonly sent: SentState;
  readonly retryAt?: number;
}

/**
 * Builds the {@link HttpError} (an {@link AuthError} for 401/403 that are not waits) for a
 * non-2xx answer: reads the capped body, normalizes it whatever the API's error style, and
 * removes every credential the request carried.
 *
 * @example
 * ```ts
 * throw await toHttpError(response, ctx, { attempts: 1, verdict: 'terminal', sent: 'delivered' });
 * ```
 */
export async function toHttpError(response: Response, ctx: CallContext, facts: HttpErrorFacts): Promise<HttpError> {
  const { text, truncated } = await readCappedText(response, maxErrorBodyBytes);
  const secrets = secretsOf(ctx.request.headers);
  const body = redactText(text, secrets);
  const normalized = parseErrorBody({
    status: response.status,
    statusText: response.statusText,
    contentType: response.headers.get('content-type'),
    body,
  });
  const init = {
    status: response.status,
    code: normalized.code,
    message: redactText(normalized.message, secrets),
    details: normalized.details.map((detail) => ({ field: detail.field, message: redactText(detail.message, secrets) })),
    verdict: facts.verdict,
    sent: facts.sent,
    attempts: facts.attempts,
    body,
    bodyTruncated: truncated,
    operation: ctx.operation,
    method: ctx.request.method,
    url: redactUrl(ctx.request.url),
    clientRequestId: ctx.clientRequestId,
    headers: redactHeaders(response.headers),
    ...(facts.retryAt === undefined ? {} : { retryAt: facts.retryAt }),
  };
  const isAuth = (response.status === 401 || response.status === 403) && facts.verdict !== 'wait';
  return isAuth ? new AuthError(init) : new HttpError(init);
}
