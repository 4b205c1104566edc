import { RedirectError } from '../errors/redirect-error.js';
import { toNetworkError } from '../verdict/transport-error.js';
import { toHttpError } from '../verdict/http-error.js';
import { redactUrlWith, requestSecrets } from '../core/request-secrets.js';
import { isSecretHeaderName, redactText } from '../core/redact.js';
import { discardBody } from '../verdict/response-body.js';
import { defaultRedirectPolicy, type RedirectOptions, type RedirectPolicy } from '../core/redirect-options.js';
import type { CallContext, RequestSpec } from '../core/types.js';

export { defaultRedirectPolicy, type RedirectOptions, type RedirectPolicy };

const redirectStatuses = new Set([301, 302, 303, 307, 308]);
// Headers that describe a body, dropped with it when a redirect turns the request into a GET.
const bodyHeaders = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];

/** The request of the next hop, or why there is none. */
export type RedirectHop =
  | {
      /** The request to send next. */
      readonly request: RequestSpec;
    }
  | {
      /** Why the redirect is not followed, for people. */
      readonly refused: string;
      /** Where it pointed, absolute (not yet redacted); `''` when it is not a URL. */
      readonly location: string;
    };

/**
 * Where a redirect leads: the next request (same method and body for 307/308 and for a GET or
 * HEAD; a body-less GET for a 301/302/303 to another method, only with `followAsGet`), without
 * any secret header (`Authorization`, `Cookie`, `X-Api-Key`, ...) when it leaves the origin;
 * or why it is refused. Pure.
 *
 * @example
 * ```ts
 * const hop = nextHop(ctx.request, 307, '/v1/orders/create/', defaultRedirectPolicy);
 * ```
 */
export function nextHop(request: RequestSpec, status: number, location: string, policy: RedirectPolicy): RedirectHop {
  let target: URL;
  try {
    target = new URL(location, request.url);
  } catch {
    return { refused: 'its Location is not a URL', location: '' };
  }
  const refuse = (reason: string): RedirectHop => ({ refused: reason, location: target.href });
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return refuse('its Location is not an http(s) URL');
  // fetch refuses such a URL, with an error quoting it whole.
  if (target.username !== '' || target.password !== '') return refuse('its Location carries credentials');
  if (request.options.redirect === 'error') return refuse("the caller asked for redirect: 'error'");
  const toGet = turnsIntoGet(status, request.method);
  if (toGet && !policy.followAsGet) {
    return refuse(`it would re-send the ${request.method} as a GET without its body (redirects.followAsGet allows it)`);
  }
  if (!toGet && request.body !== null && !(request.body instanceof Uint8Array)) {
    return refuse('the body was a one-shot stream and cannot be sent again');
  }
  const headers = new Headers(request.headers);
  if (target.origin !== new URL(request.url).origin) {
    for (const name of [...headers.keys()]) if (isSecretHeaderName(name)) headers.delete(name);
  }
  if (!toGet) return { request: { ...request, url: target.href, headers } };
  for (const name of bodyHeaders) headers.delete(name);
  return { request: { ...request, url: target.href, method: 'GET', headers, body: null, replayable: true } };
}

/**
 * Follows the redirects of one attempt, from its first answer: each hop goes through `send`
 * (the wrapped fetch, with `redirect: 'manual'`), the body of each 3xx is cancelled, and the
 * first answer that is not a redirect is returned. Throws a {@link RedirectError} when a hop is
 * refused (see {@link nextHop}), when there are more than `ctx.redirects.max` of them, or when a
 * write answered 301/302/303 and followed as a GET has that GET fail, time out or answered
 * anything but 2xx (`REDIRECT_FAILED`: the write may have been applied, so no layer may send it
 * again on the GET's word, a 429's included). `writeAnswered` hears the status that answered
 * the write, once: from then on, the hops only read its result.
 *
 * @example
 * ```ts
 * const response = await followRedirects(await send(ctx.request), ctx, send);
 * ```
 */
export async function followRedirects(
  first: Response,
  ctx: CallContext,
  send: (request: RequestSpec) => Promise<Response>,
  writeAnswered?: (status: number) => void,
): Promise<Response> {
  let request = ctx.request;
  let response = first;
  let mayHaveApplied = false;
  // The redirect that turned the write into a GET: it may have been applied ("created, see there").
  let applied: Applied | undefined;
  for (let hops = 0; ; hops += 1) {
    const location = response.headers.get('location');
    const { status } = response;
    if (response.type === 'opaqueredirect') {
      throw refusal(ctx, request, status, '', mayHaveApplied, 'the wrapped fetch hides redirects from surefetch');
    }
    if (!redirectStatuses.has(status) || location === null) {
      // A failed read of the write's result is no answer to the write: it must not be re-sent on
      // its word (a 429's), nor taken for its success (a 3xx with nowhere to go).
      if (applied !== undefined && (status < 200 || status >= 300)) throw await readFailed(ctx, applied, request, response);
      return response;
    }
    await discardBody(response);
    mayHaveApplied ||= turnsIntoGet(status, request.method);
    const hop = nextHop(request, status, location, ctx.redirects);
    if ('refused' in hop) throw refusal(ctx, request, status, hop.location, mayHaveApplied, hop.refused);
    if (hops >= ctx.redirects.max) {
      throw new RedirectError({
        code: 'TOO_MANY_REDIRECTS',
        ...facts(ctx, request, status, hop.request.url, mayHaveApplied),
        reason: `more than ${ctx.redirects.max} redirects`,
      });
    }
    if (mayHaveApplied && applied === undefined) {
      applied = { request, status, location: hop.request.url };
      // The write has its answer: what follows only reads its result.
      writeAnswered?.(status);
    }
    request = hop.request;
    try {
      response = await send(request);
    } catch (error) {
      throw applied === undefined ? error : hopFailed(ctx, applied, request, error);
    }
  }
}

interface Applied {
  readonly request: RequestSpec;
  readonly status: number;
  readonly location: string;
}

// The GET of the Location after a write was answered 301/302/303 failed in transport (or timed
// out): a refused connection reads "not sent", but the write was sent and may have been applied.
function hopFailed(ctx: CallContext, applied: Applied, hop: RequestSpec, error: unknown): unknown {
  if (ctx.signal.aborted) return error;
  const secrets = [...requestSecrets(ctx.request), ...requestSecrets(hop)];
  const typed = toNetworkError(error, ctx.attempt, secrets);
  const what = typed !== undefined ? (typed.causeCode ?? typed.message) : error instanceof Error ? error.name : 'a failure';
  // A foreign error's message may quote the hop's URL: the cause keeps its name, redacted.
  const cause = typed ?? (error instanceof Error ? Object.assign(new Error(redactText(error.message, secrets)), { name: error.name }) : undefined);
  return failedRead(ctx, applied, `the GET of its Location failed (${redactText(what, secrets)})`, cause);
}

async function readFailed(ctx: CallContext, applied: Applied, hop: RequestSpec, response: Response): Promise<RedirectError> {
  const cause = await toHttpError(response, ctx, { attempts: ctx.attempt, verdict: 'terminal', sent: 'ambiguous', answering: hop });
  return failedRead(ctx, applied, `the GET of its Location was answered HTTP ${response.status}`, cause);
}

function failedRead(ctx: CallContext, applied: Applied, what: string, cause: unknown): RedirectError {
  const known = facts(ctx, applied.request, applied.status, applied.location, true);
  return new RedirectError({ code: 'REDIRECT_FAILED', ...known, reason: `${what}; the ${ctx.request.method} may have been applied` }, { cause });
}

// A 303 to anything but GET/HEAD, and a 301/302 to a POST, become a GET in browsers; a 301/302
// to PUT/PATCH/DELETE keeps its method there, but is treated alike here: "moved" answered to a
// write is as likely to mean "done, see there".
function turnsIntoGet(status: number, method: string): boolean {
  return (status === 301 || status === 302 || status === 303) && method !== 'GET' && method !== 'HEAD';
}

function refusal(
  ctx: CallContext,
  request: RequestSpec,
  status: number,
  location: string,
  mayHaveApplied: boolean,
  reason: string,
): RedirectError {
  const known = facts(ctx, request, status, location, mayHaveApplied);
  return new RedirectError({ code: 'REDIRECT_REFUSED', ...known, reason });
}

function facts(ctx: CallContext, request: RequestSpec, status: number, location: string, mayHaveApplied: boolean) {
  const secrets = requestSecrets(ctx.request);
  return {
    status,
    location: location === '' ? '' : redactUrlWith(location, secrets),
    method: ctx.request.method,
    url: redactUrlWith(request.url, secrets),
    sent: mayHaveApplied ? ('ambiguous' as const) : ('delivered' as const),
    operation: ctx.operation,
  };
}
