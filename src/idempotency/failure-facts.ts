import { redactText } from '../core/redact.js';
import { AmbiguousOutcomeError, SurefetchError } from '../errors/errors.js';
import { IdempotencyError } from '../errors/idempotency-error.js';
import { truncate } from '../verdict/html-summary.js';
import { HttpError } from '../verdict/http-error.js';
import { UnreadableRecordError } from '../store/record-codec.js';
import type { RecordedFailure, RequestRecord } from '../store/record.js';

// A record is read on every poll and heartbeat: its failure stays small whatever the server said.
const maxDetails = 20;
const maxTextLength = 500;
const maxFieldLength = 200;

/**
 * The facts of a failed run to keep in its record: code, status, the server's message and field
 * details of an `HttpError` (already free of the request's credentials; redacted again for
 * well-known secret shapes), or the code and message of any other error. Texts are capped and
 * at most 20 details are kept.
 *
 * @param terminal - whether the run failed for good (the record becomes `failed`)
 * @param secrets - the request's credentials (see `requestSecrets`), removed wherever they appear (an
 *   operation name built from a path that holds a token, say)
 * @example
 * ```ts
 * await settle({ state: 'failed', error: recordedFailure(error, true) });
 * ```
 */
export function recordedFailure(error: unknown, terminal: boolean, secrets: readonly string[] = []): RecordedFailure {
  const clean = (text: string, max = maxTextLength): string => truncate(redactText(text, secrets), max);
  if (error instanceof HttpError) {
    const details = error.details.slice(0, maxDetails).map((d) => ({ field: clean(d.field, maxFieldLength), message: clean(d.message) }));
    return { code: error.code, message: clean(error.serverMessage), status: error.status, ...(details.length > 0 ? { details } : {}), terminal };
  }
  if (error instanceof SurefetchError) return { code: error.code, message: clean(error.message), terminal };
  // A foreign error's message may hold anything: only its name is kept.
  return { code: error instanceof Error ? error.name : 'NonError', message: 'its message is not stored', terminal };
}

/**
 * The `PREVIOUSLY_FAILED` refusal for a call whose scope's earlier run (or the run it waited for)
 * failed: its message names the status, code and server message, and `previous` carries every
 * stored fact (status, code, message, field details, whether it was terminal).
 *
 * @example
 * ```ts
 * if (existing.state === 'failed') throw previouslyFailed(existing, ctx.operation);
 * ```
 */
export function previouslyFailed(record: RequestRecord, operation: string): IdempotencyError {
  const failure: RecordedFailure = record.error ?? { code: 'unknown', message: 'nothing was stored about it', terminal: record.state === 'failed' };
  const status = failure.status === undefined ? '' : `HTTP ${String(failure.status)} `;
  const fields = (failure.details ?? []).map((d) => (d.field === '' ? d.message : `${d.field}: ${d.message}`));
  const said = `${status}${failure.code}: ${failure.message}${fields.length > 0 ? ` (${fields.join('; ')})` : ''}`;
  const message = failure.terminal === false
    ? `the run this call waited for gave up: ${said}; a later re-run of the scope may try again`
    : `an earlier run failed: ${said}`;
  return new IdempotencyError({ code: 'PREVIOUSLY_FAILED', scope: record.scope, clientRequestId: record.clientRequestId, operation, message, previous: failure });
}

/**
 * What a store's read of the scope's key threw, before this call sent anything: a value there that
 * is not a request record (see `UnreadableRecordError`) is the `RECORD_UNREADABLE` refusal, with
 * the scope's client request id: the one its record held when read before (`stored`), else the
 * call's own; anything else is returned as it is. Nothing is sent on a record surefetch cannot
 * read: whatever it held, an earlier run's create may be out.
 */
export function refuseUnreadable(error: unknown, scope: string, clientRequestId: string, operation: string, stored = false): unknown {
  if (!(error instanceof UnreadableRecordError)) return error;
  const message = `${error.message.replace(/^surefetch: /, '')} (another program writes to the same keys, or the record was edited); nothing was sent by this call, ` +
    `but an earlier run of the scope may have sent its create. Delete the key only once you know whether that create landed (look for client request id ` +
    `${clientRequestId} at the API${stored ? '' : ", if the scope's runs share it"}), or give surefetch a namespace of its own`;
  return new IdempotencyError({ code: 'RECORD_UNREADABLE', scope, clientRequestId, operation, message }, { cause: error });
}

/**
 * What a write of the request record threw after the create may have been sent: a record that
 * became unreadable (another program overwrote the scope's key meanwhile) is an
 * `AmbiguousOutcomeError` with the call's client request id, for nothing tells a re-send or a
 * re-run whether the create landed; anything else is returned as it is.
 */
export function unreadableAfterSend(error: unknown, clientRequestId: string, attempts: number, operation: string): unknown {
  if (!(error instanceof UnreadableRecordError)) return error;
  const reason = `its request record became unreadable after the send, as another program wrote to the scope's key or the record was edited, and without it nothing tells whether the create landed`;
  return new AmbiguousOutcomeError({ clientRequestId, attempts, operation, reason }, { cause: error });
}
