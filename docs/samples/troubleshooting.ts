/**
 * Code samples of the guide "Troubleshooting by error code" (docs/guides/troubleshooting.md).
 * Type-checked with the project, not run.
 */
import { HttpError, IdempotencyError, SurefetchError, type RequestStore } from 'surefetch';

declare const store: RequestStore;

// #region by-code
export function explain(error: unknown): string {
  if (error instanceof HttpError) return `${error.status} ${error.code}: ${error.serverMessage} ${JSON.stringify(error.details)}`;
  if (error instanceof SurefetchError) return `${error.code}: ${error.message}`;
  return String(error);
}
// #endregion by-code

// #region previously-failed
// After fixing the data of a job whose create was refused (a 400 stored for its scope):
export async function allowRetry(error: unknown): Promise<void> {
  if (error instanceof IdempotencyError && error.code === 'PREVIOUSLY_FAILED') await store.delete(error.scope);
}
// #endregion previously-failed
