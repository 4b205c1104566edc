import { isFieldErrorDictionary, isRecord, normalizeDetails } from './error-details.js';
import { cleanMessage, htmlSummary, looksLikeHtml } from './html-summary.js';

/** One field-level problem reported by the server. */
export interface FieldDetail {
  /** The field path, e.g. `shipTo.email`; `''` for a problem not tied to a field. */
  readonly field: string;
  /** What is wrong with it, for people. */
  readonly message: string;
}

/**
 * Which error style a body was recognized as: the `{success:false, error:{code,message,details}}`
 * envelope, Django REST framework's `{detail}` or field dictionary (`drf`), a `{message, errors}`
 * object, RFC 9457 `problem+json`, an HTML page, plain text, other JSON, an empty body, or a
 * body declared as JSON that does not parse (`malformed`).
 */
export type ErrorBodyFormat = 'envelope' | 'drf' | 'message' | 'problem+json' | 'html' | 'text' | 'json' | 'empty' | 'malformed';

/** One error, normalized from whichever style the API uses. */
export interface NormalizedError {
  /** The server's own code (`VALIDATION_ERROR`, `DUPLICATE`) when it gives one, else {@link codeFromStatus}. */
  readonly code: string;
  /** For people: never HTML markup, whitespace collapsed, at most 500 characters. */
  readonly message: string;
  /** Field-level problems (at most 100); empty when the server reports none. */
  readonly details: readonly FieldDetail[];
  /** The style the body was recognized as. */
  readonly format: ErrorBodyFormat;
  /** The RFC 9457 `type` URI, for `problem+json` bodies that carry one. */
  readonly problemType?: string;
}

/** The input of {@link parseErrorBody}: the parts of a response it reads. */
export interface ErrorBodyInput {
  /** The HTTP status. */
  readonly status: number;
  /** The status text, used as the message of an empty body. */
  readonly statusText?: string;
  /** The `Content-Type` header value. */
  readonly contentType: string | null;
  /** The body text (capped by the caller). */
  readonly body: string;
}

const CODE_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const STATUS: Readonly<Record<number, readonly [code: string, phrase: string]>> = {
  400: ['BAD_REQUEST', 'Bad Request'],
  401: ['UNAUTHORIZED', 'Unauthorized'],
  403: ['FORBIDDEN', 'Forbidden'],
  404: ['NOT_FOUND', 'Not Found'],
  408: ['REQUEST_TIMEOUT', 'Request Timeout'],
  409: ['CONFLICT', 'Conflict'],
  413: ['PAYLOAD_TOO_LARGE', 'Content Too Large'],
  422: ['UNPROCESSABLE_ENTITY', 'Unprocessable Content'],
  429: ['RATE_LIMITED', 'Too Many Requests'],
  500: ['INTERNAL_SERVER_ERROR', 'Internal Server Error'],
  502: ['BAD_GATEWAY', 'Bad Gateway'],
  503: ['SERVICE_UNAVAILABLE', 'Service Unavailable'],
  504: ['GATEWAY_TIMEOUT', 'Gateway Timeout'],
};

/**
 * The error code surefetch derives from an HTTP status when the server gives none:
 * `BAD_REQUEST`, `UNAUTHORIZED`, `FORBIDDEN`, `NOT_FOUND`, `REQUEST_TIMEOUT`, `CONFLICT`,
 * `PAYLOAD_TOO_LARGE`, `UNPROCESSABLE_ENTITY`, `RATE_LIMITED`, `INTERNAL_SERVER_ERROR`,
 * `BAD_GATEWAY`, `SERVICE_UNAVAILABLE`, `GATEWAY_TIMEOUT`; other 4xx `CLIENT_ERROR`, other 5xx
 * `SERVER_ERROR`, anything else `HTTP_<status>` (`HTTP_UNKNOWN` for a non-integer).
 *
 * @example
 * ```ts
 * codeFromStatus(429); // 'RATE_LIMITED'
 * ```
 */
export function codeFromStatus(status: number): string {
  const known = STATUS[status];
  if (known !== undefined) return known[0];
  if (!Number.isInteger(status) || status < 0 || status > 999_999) return 'HTTP_UNKNOWN';
  if (status >= 400 && status < 500) return 'CLIENT_ERROR';
  if (status >= 500 && status < 600) return 'SERVER_ERROR';
  return `HTTP_${status}`;
}

/**
 * Normalizes an error response body, whatever the API's error style, into one
 * {@link NormalizedError}. JSON is recognized by its content type or, when mislabeled, by a
 * leading `{` or `[`. HTML pages are summarized by their `<title>` or first `<h1>`, never
 * quoted whole; a short body served as HTML without any tag (a plain `Unauthorized`) is text.
 * Never throws.
 *
 * @example
 * ```ts
 * const body = '{"message":"Invalid body","errors":["shipTo.email: Invalid email"]}';
 * parseErrorBody({ status: 400, contentType: 'application/json', body });
 * // { code: 'BAD_REQUEST', message: 'Invalid body', format: 'message',
 * //   details: [{ field: 'shipTo.email', message: 'Invalid email' }] }
 * ```
 */
export function parseErrorBody(input: ErrorBodyInput): NormalizedError {
  const fallback = fallbackMessage(input.status, input.statusText);
  const code = codeFromStatus(input.status);
  try {
    return parse(input, fallback, code);
  } catch {
    return { code, message: fallback, details: [], format: 'malformed' };
  }
}

function parse(input: ErrorBodyInput, fallback: string, statusCode: string): NormalizedError {
  const body = typeof input.body === 'string' ? input.body.trim() : '';
  const mediaType = (input.contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const declaredJson = mediaType === 'application/json' || mediaType.endsWith('+json');
  const declaredHtml = mediaType === 'text/html' || mediaType === 'application/xhtml+xml';
  const result = (format: ErrorBodyFormat, message: string | undefined, extra: Partial<NormalizedError> = {}): NormalizedError => {
    const text = cleanMessage(message ?? '', declaredHtml || format === 'html');
    return { code: statusCode, details: [], ...extra, message: text === '' ? fallback : text, format };
  };

  if (body === '') return result('empty', undefined);
  if (declaredJson || body.startsWith('{') || body.startsWith('[')) {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      if (declaredJson) return result('malformed', undefined);
    }
    if (value !== undefined) return fromJson(value, mediaType === 'application/problem+json', declaredHtml, result);
  }
  if (looksLikeHtml(body)) return result('html', htmlSummary(body));
  return result('text', body);
}

type Result = (format: ErrorBodyFormat, message: string | undefined, extra?: Partial<NormalizedError>) => NormalizedError;

function fromJson(value: unknown, declaredProblem: boolean, strict: boolean, result: Result): NormalizedError {
  if (typeof value === 'string') return result('json', value);
  if (Array.isArray(value)) {
    const details = normalizeDetails(value, strict);
    return result('json', summarize(details), { details });
  }
  if (!isRecord(value)) return result('json', undefined);
  const code = serverCode(value.code) ?? serverCode(value.error_code) ?? serverCode(value.errorCode);
  const withCode = code === undefined ? {} : { code };

  if (declaredProblem || (typeof value.title === 'string' && (typeof value.type === 'string' || typeof value.status === 'number'))) {
    const details = normalizeDetails(value.errors ?? value['invalid-params'] ?? value.invalid_params, strict);
    const problemType = typeof value.type === 'string' ? { problemType: value.type } : {};
    return result('problem+json', text(value.detail) ?? text(value.title), { ...withCode, ...problemType, details });
  }
  if (isRecord(value.error)) {
    const error = value.error;
    const details = normalizeDetails(error.details ?? error.errors, strict);
    const envelopeCode = serverCode(error.code) ?? code;
    return result('envelope', text(error.message) ?? text(error.detail) ?? summarize(details), {
      ...(envelopeCode === undefined ? {} : { code: envelopeCode }),
      details,
    });
  }
  if ('detail' in value && (typeof value.detail === 'string' || Array.isArray(value.detail) || isRecord(value.detail))) {
    if (typeof value.detail === 'string') return result('drf', value.detail, withCode);
    const details = normalizeDetails(value.detail, strict);
    return result('drf', summarize(details), { ...withCode, details });
  }
  if (typeof value.message === 'string') {
    return result('message', value.message, { ...withCode, details: normalizeDetails(value.errors, strict) });
  }
  if (Array.isArray(value.message)) {
    // NestJS's ValidationPipe puts the validator messages in `message` itself.
    const details = normalizeDetails(value.message, strict);
    return result('message', summarize(details), { ...withCode, details });
  }
  if (isFieldErrorDictionary(value)) {
    const details = normalizeDetails(value, strict);
    return result('drf', summarize(details), { details });
  }
  // OAuth-style `{error, error_description}` and other ad-hoc shapes.
  const oauthCode = serverCode(value.error);
  const details = normalizeDetails(value.errors, strict);
  const message = text(value.error_description) ?? text(value.error) ?? text(value.msg) ?? text(value.reason) ?? summarize(details);
  return result('json', message, { ...(code ?? oauthCode ? { code: code ?? oauthCode } : {}), details });
}

function summarize(details: readonly FieldDetail[]): string | undefined {
  if (details.length === 0) return undefined;
  return details.map((detail) => (detail.field === '' ? detail.message : `${detail.field}: ${detail.message}`)).join('; ');
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function serverCode(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return CODE_PATTERN.test(trimmed) ? trimmed : undefined;
}

function fallbackMessage(status: number, statusText: string | undefined): string {
  const fromText = cleanMessage(typeof statusText === 'string' ? statusText : '', true);
  if (fromText !== '') return fromText;
  const known = STATUS[status];
  if (known !== undefined) return known[1];
  if (status >= 400 && status < 500) return `Client error (HTTP ${status})`;
  if (status >= 500 && status < 600) return `Server error (HTTP ${status})`;
  return Number.isFinite(status) ? `HTTP ${status}` : 'HTTP error';
}
