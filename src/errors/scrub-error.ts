import { redactText } from '../core/redact.js';
import { composedTextSecrets, requestSecrets } from '../core/request-secrets.js';
import type { RequestSpec } from '../core/types.js';
import { SurefetchError } from './errors.js';

// The text fields a surefetch error may build from the request: its message and the operation
// name, which defaults to the method and the raw path (`GET /v1/auth/token/lookup/<token>`).
// Fields taken from the answer (an HttpError's body, server message, details, headers, URL) are
// redacted when the error is built. The stack repeats the message: it is mended only when the
// message changed (formatting a stack costs more than the rest of this together).
const TEXT_FIELDS = ['message', 'operation'] as const;
// How far down a `cause` chain surefetch's own errors are looked at.
const MAX_DEPTH = 8;

/**
 * Takes the credentials `request` carries (see `requestSecrets`) out of a surefetch error on its
 * way to the caller: its `message` (and the `stack` that repeats it) and `operation`, and those of every surefetch error
 * in its `cause` chain. Anything else is returned untouched (the caller's own abort reason stays
 * the very value it aborted with; a foreign error is not rewritten). The request's secrets are
 * read only when there is a surefetch error to clean, so a call pays nothing for this unless it
 * fails.
 * @internal
 *
 * @example
 * ```ts
 * chain(ctx).catch((error) => Promise.reject(scrubError(error, ctx.request)));
 * ```
 */
export function scrubError(error: unknown, request: Pick<RequestSpec, 'url' | 'headers' | 'body'>): unknown {
  if (!(error instanceof SurefetchError)) return error;
  // The text here is the library's own (what it took from a server was cleaned as it was built).
  const known = composedTextSecrets(requestSecrets(request));
  const seen = new Set<unknown>();
  for (let current: unknown = error, depth = 0; current instanceof SurefetchError && depth < MAX_DEPTH && !seen.has(current); depth += 1) {
    seen.add(current);
    scrubFields(current, known);
    current = current.cause;
  }
  return error;
}

function scrubFields(error: SurefetchError, secrets: readonly string[]): void {
  const fields = error as unknown as Record<string, unknown>;
  for (const name of TEXT_FIELDS) {
    const value = fields[name];
    if (typeof value !== 'string') continue;
    const clean = redactText(value, secrets);
    if (clean === value) continue;
    if (name === 'message' && typeof error.stack === 'string') replaceField(error, 'stack', error.stack.split(value).join(clean));
    replaceField(error, name, clean);
  }
}

function replaceField(error: SurefetchError, name: string, value: string): void {
  try {
    Object.defineProperty(error, name, { value, writable: true, configurable: true, enumerable: Object.prototype.propertyIsEnumerable.call(error, name) });
  } catch {
    // A frozen error keeps its text: it was not built by surefetch's own code paths.
  }
}
