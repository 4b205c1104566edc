import type { BodyReadLimit } from '../verdict/response-body.js';
import type { RequestRecord } from '../store/record.js';
import { snapshotResponse } from './response-snapshot.js';

/**
 * What a success leaves in its record for a re-run: the snapshot to replay (`response`), or,
 * when the body cannot be kept (larger than `maxBodyBytes`, an event stream, or a body that
 * stalled or broke off), its status and why (`unstoredResponse`), so that the re-run's
 * `REPLAY_UNAVAILABLE` says what happened instead of only that nothing was kept.
 *
 * @example
 * ```ts
 * await settle({ state: 'succeeded', ...(await replayCopy(response.clone(), 8_388_608, bodyReadLimit(ctx))) });
 * ```
 */
export async function replayCopy(response: Response, maxBodyBytes: number, limit: BodyReadLimit, secrets: readonly string[] = []): Promise<Pick<RequestRecord, 'response' | 'unstoredResponse'>> {
  const { status } = response;
  // A compressed body's Content-Length is not the size that was too large (fetch decodes it).
  const encoded = !/^(?:identity)?$/i.test((response.headers.get('content-encoding') ?? '').trim());
  const declared = encoded ? Number.NaN : Number(response.headers.get('content-length') ?? Number.NaN);
  try {
    const snapshot = await snapshotResponse(response, maxBodyBytes, limit, secrets);
    if (snapshot !== undefined) return { response: snapshot };
    const reason = /^text\/event-stream/i.test(response.headers.get('content-type') ?? '')
      ? 'its body is an event stream'
      : `its body${Number.isFinite(declared) ? ` (${String(declared)} bytes)` : ''} is larger than maxStoredBodyBytes (${String(maxBodyBytes)} bytes)`;
    return { unstoredResponse: { status, reason } };
  } catch {
    // The create landed either way; the reason only says why no copy was kept.
    const reason = limit.signal.aborted ? 'the caller left before its body was read' : 'its body could not be read in time (it stalled or broke off)';
    return { unstoredResponse: { status, reason } };
  }
}
