import { parseErrorBody, type FieldDetail } from './error-body.js';
import { SurefetchError } from '../errors/errors.js';
import { bodyReadLimit, maxErrorBodyBytes, readCappedText } from './response-body.js';
import { redactHeaders, redactText, redactTruncatedText } from '../core/redact.js';
import { redactBodyText } from '../core/redact-data.js';
import { composedTextSecrets, redactUrlWith, requestSecrets } from '../core/request-secrets.js';
import type { CallContext, RequestSpec, SentState, Verdict } from '../core/types.js';

const noHeaders = new Headers();

/** What a person should do about an {@link HttpError}: a coarse category of the status. */
export type HttpErrorKind =
  | 'validation'
  | 'auth'
  | 'not-found'
  | 'conflict'
  | 'rate-limited'
  | 'client'
  | 'server';

/** The fields of an {@link HttpError}: its own, plus the server's code and message. */
export type HttpErrorInit = Pick<
  HttpError,
  'status' | 'details' | 'verdict' | 'sent' | 'attempts' | 'body' | 'bodyTruncated' | 'operation' | 'method' | 'url' | 'clientRequestId' | 'headers'
> & {
  /** The server's error code, or one derived from the status, e.g. `UNAUTHORIZED`. */
  readonly code: string;
  /** The server's message alone; the error's `message` appends the status, method and URL. */
  readonly message: string;
  /** When the server said to come back (epoch ms), for a wait verdict. */
  readonly retryAt?: number;
};

/**
 * A non-2xx answer, normalized whichever error style the API uses (a `{ success, error }`
 * envelope, DRF's `{ detail }`, `{ message, errors[] }`, RFC 9457 problem+json, plain text,
 * an HTML page, an empty or malformed body).
 *
 * `code` is the server's own code (`VALIDATION_ERROR`, `DUPLICATE`) when it gives one,
 * otherwise one derived from the status (`UNAUTHORIZED`, `INTERNAL_SERVER_ERROR`).
 *
 * @example
 * ```ts
 * try {
 *   await sureFetch(`${base}/v1/orders/create`, { method: 'POST', body });
 * } catch (error) {
 *   if (error instanceof HttpError && error.kind === 'validation') {
 *     for (const { field, message } of error.details) console.log(field, message);
 *   }
 * }
 * ```
 */
export class HttpError extends SurefetchError {
  /** HTTP status. */
  readonly status: number;
  /** Per-field problems `[{ field, message }]`, empty when the server gave none. */
  readonly details: readonly FieldDetail[];
  /** The verdict of the last attempt. */
  readonly verdict: Verdict;
  /** The sent state of the last attempt. */
  readonly sent: SentState;
  /** How many attempts were made. */
  readonly attempts: number;
  /** The raw body, capped in size (see `bodyTruncated`), with known secrets redacted. */
  readonly body: string;
  /** Whether `body` was cut: at the size cap, by the body timeout, or because it broke off. */
  readonly bodyTruncated: boolean;
  /** The operation name. */
  readonly operation: string;
  /** The request method. */
  readonly method: string;
  /** The request URL, with credentials redacted. */
  readonly url: string;
  /** The client request id of the call. */
  readonly clientRequestId: string;
  /** Response headers, with secrets redacted. */
  readonly headers: Readonly<Record<string, string>>;
  /** When the server said to come back (epoch ms), for a wait verdict. */
  readonly retryAt: number | undefined;
  /** The server's message alone, without the status and URL. */
  readonly serverMessage: string;

  /** @param init - the normalized fields */
  constructor(init: HttpErrorInit, options?: ErrorOptions) {
    super(init.code, `${init.message} (HTTP ${init.status}, ${init.method} ${init.url})`, options);
    this.serverMessage = init.message;
    this.status = init.status;
    this.details = init.details;
    this.verdict = init.verdict;
    this.sent = init.sent;
    this.attempts = init.attempts;
    this.body = init.body;
    this.bodyTruncated = init.bodyTruncated;
    this.operation = init.operation;
    this.method = init.method;
    this.url = init.url;
    this.clientRequestId = init.clientRequestId;
    this.headers = init.headers;
    this.retryAt = init.retryAt;
  }

  /** A coarse category for deciding what to do. */
  get kind(): HttpErrorKind {
    return kindOfStatus(this.status, this.verdict);
  }
}

/**
 * A 401 or 403 that is not a rate-limit wait: the credential is missing, wrong, expired or
 * lacks a scope. Never retried.
 *
 * @example
 * ```ts
 * if (error instanceof AuthError) alertOnCall('check the API key of', error.url);
 * ```
 */
export class AuthError extends HttpError {}

function kindOfStatus(status: number, verdict: Verdict): HttpErrorKind {
  if (verdict === 'wait' || status === 429) return 'rate-limited';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404 || status === 410) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 400 || status === 422) return 'validation';
  return status >= 500 ? 'server' : 'client';
}


/** What the retry layer knows about the attempt that produced an error answer. */
export interface HttpErrorFacts {
  /** How many attempts were made, this one included. */
  readonly attempts: number;
  /** The verdict of this answer. */
  readonly verdict: Verdict;
  /** The sent state of this answer. */
  readonly sent: SentState;
  /** When the server said to come back (epoch ms), for a wait. */
  readonly retryAt?: number;
  /**
   * The request this is the answer to, when it is not the call's own (a redirect's hop): its
   * method and URL name the error, and its credentials are removed along with the call's.
   */
  readonly answering?: RequestSpec;
}

/**
 * Builds the {@link HttpError} (an {@link AuthError} for 401/403 that are not waits) for a
 * non-2xx answer: reads the capped body (within the call's body timeout and deadline: a body
 * that stalls is cancelled and the error keeps what arrived, with a `BodyTimeoutError` as its
 * `cause`), normalizes it whatever the API's error style, and removes every credential the
 * request carried.
 *
 * @example
 * ```ts
 * throw await toHttpError(response, ctx, { attempts: 1, verdict: 'terminal', sent: 'delivered' });
 * ```
 */
export async function toHttpError(response: Response, ctx: CallContext, facts: HttpErrorFacts): Promise<HttpError> {
  const { text, truncated, timedOut } = await readCappedText(response, maxErrorBodyBytes, bodyReadLimit(ctx));
  // The answer may come from a redirect's hop, whose URL carries credentials of its own (a
  // pre-signed storage URL's `X-Amz-Signature`) that the server may echo.
  const answering = facts.answering ?? ctx.request;
  const hop = response.url !== '' && response.url !== ctx.request.url ? requestSecrets({ url: response.url, headers: noHeaders, body: null }) : [];
  const secrets = [...requestSecrets(ctx.request), ...hop, ...(answering === ctx.request ? [] : requestSecrets(answering))];
  // A cut body may end in the first part of an echoed credential, which a whole-secret search misses.
  const body = truncated ? redactTruncatedText(text, secrets) : redactBodyText(text, secrets);
  const normalized = parseErrorBody({
    status: response.status,
    // The server's own text, cleaned of every secret; the fallback message built from the
    // status is the library's (see composedTextSecrets).
    statusText: redactText(response.statusText, secrets),
    contentType: response.headers.get('content-type'),
    body,
  });
  const init = {
    status: response.status,
    code: normalized.code,
    message: redactText(normalized.message, composedTextSecrets(secrets)),
    details: normalized.details.map((detail) => ({ field: detail.field, message: redactText(detail.message, composedTextSecrets(secrets)) })),
    verdict: facts.verdict,
    sent: facts.sent,
    // Every send of the call counts, a rateLimit re-send of a refusal within one attempt too.
    attempts: Math.max(facts.attempts, ctx.sends?.sent ?? 0),
    body,
    bodyTruncated: truncated,
    operation: ctx.operation,
    method: answering.method,
    url: redactUrlWith(answering.url, secrets),
    clientRequestId: ctx.clientRequestId,
    headers: redactHeaders(response.headers, [], secrets),
    ...(facts.retryAt === undefined ? {} : { retryAt: facts.retryAt }),
  };
  const isAuth = (response.status === 401 || response.status === 403) && facts.verdict !== 'wait';
  const options = timedOut === undefined ? undefined : { cause: timedOut };
  return isAuth ? new AuthError(init, options) : new HttpError(init, options);
}
