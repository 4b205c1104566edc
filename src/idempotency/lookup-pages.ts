import { RetryLaterError } from '../errors/errors.js';
import { BodyTimeoutError } from '../errors/body-timeout-error.js';
import { bodyReadLimit, readJson as readJsonWithin } from '../verdict/response-body.js';
import type { CallContext } from '../core/types.js';
import { parseHttpDate } from '../verdict/http-date.js';
import type { Paging } from './paging.js';

/** How one read of a lookup gets its pages (see `LookupOptions`). */
export interface PageReader {
  readonly candidates: (body: unknown) => readonly unknown[] | undefined;
  readonly paging: Paging | undefined;
  readonly notFoundIsEmpty: boolean;
  readonly maxPages: number;
  readonly identify: (candidate: unknown) => string;
}

/** What one read of a lookup found. */
export interface LookupRead {
  /** Every candidate of every page. */
  readonly candidates: unknown[];
  /**
   * How far the server's clock is behind ours for sure, by the first page's `Date` (0 when it is
   * not, when the page had no readable `Date`, or one more than a day off): the clock it likely
   * stamps its resources with.
   */
  readonly serverBehindMs: number;
}

/** A lookup answer that proves nothing; the check turns it into an `ExistenceCheckError`. */
export class UnreadableLookup extends Error {}

/**
 * Reads every page of one lookup through `send` and returns all candidates. Any answer that is
 * not a well-formed page of the expected shape — a refusal, a non-2xx status, a body that is
 * not JSON, a body without the candidate list, a paging signal that cannot be followed, a next
 * page on another origin, the same page twice, more pages than `maxPages` — throws an
 * {@link UnreadableLookup}: only a complete, well-formed read is evidence of absence.
 */
export async function readAllPages(
  ctx: CallContext,
  first: URL,
  send: (url: URL) => Promise<Response>,
  reader: PageReader,
): Promise<LookupRead> {
  const found: unknown[] = [];
  let serverBehindMs = 0;
  const earlierItems: number[] = [];
  let previousPage = '';
  let url: URL | undefined = first;
  for (let index = 0; url !== undefined; index += 1) {
    if (index >= reader.maxPages) throw new UnreadableLookup(`the list has more than ${reader.maxPages} pages (maxPages)`);
    if (url.origin !== first.origin) throw new UnreadableLookup(`the next page is on another origin (${url.origin})`);
    const sentAt = ctx.clock.now();
    const response = await sendOnce(ctx, send, url);
    if (index === 0) serverBehindMs = behindBy(response.headers, sentAt);
    if (response.status === 404 && reader.notFoundIsEmpty && index === 0) {
      await response.body?.cancel().catch(() => undefined);
      return { candidates: found, serverBehindMs };
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new UnreadableLookup(`the lookup answered HTTP ${response.status}`);
    }
    const body = await readJson(ctx, response);
    const items = reader.candidates(body);
    if (!Array.isArray(items)) throw new UnreadableLookup('the lookup answer is not of the expected shape (no list of candidates)');
    const thisPage = items.map(reader.identify).join('\n');
    if (index > 0 && items.length > 0 && thisPage === previousPage) throw new UnreadableLookup('the API answered the same page twice');
    previousPage = thisPage;
    found.push(...items);
    try {
      url = reader.paging?.({ url, headers: response.headers, body, items: items.length, index, earlierItems });
    } catch (error) {
      throw new UnreadableLookup(`the next page cannot be found: ${error instanceof Error ? error.message : String(error)}`);
    }
    earlierItems.push(items.length);
  }
  return { candidates: found, serverBehindMs };
}

// An answer's `Date` further than this from our clock is a broken `Date`, not a slow clock (as
// the rate limiter's server clock judges it): it shows nothing.
const MAX_BEHIND_MS = 86_400_000;

// How far the server's clock is behind ours for sure: its `Date`, cut to whole seconds, was
// stamped after the request left (`sentAt`, our clock), less the `Age` a cache kept it. A
// server in step with ours is never found behind; a small lag hides in `clockSkewMs` anyway.
function behindBy(headers: Headers, sentAt: number): number {
  const date = headers.get('date');
  const at = date === null ? undefined : parseHttpDate(date, sentAt);
  if (at === undefined) return 0;
  const age = /^\s*(\d{1,10})\s*$/.exec(headers.get('age') ?? '')?.[1];
  const behind = sentAt - (at + 1000 + (age === undefined ? 0 : Number(age) * 1000));
  return behind > 0 && behind <= MAX_BEHIND_MS ? behind : 0;
}

async function sendOnce(ctx: CallContext, send: (url: URL) => Promise<Response>, url: URL): Promise<Response> {
  try {
    return await send(url);
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    // "Come back at T" is an answer, not garbage: the call hands it on (a queue re-runs the job at
    // T, and the re-run looks again before sending anything).
    if (error instanceof RetryLaterError) throw error;
    throw new UnreadableLookup('the lookup failed', { cause: error });
  }
}

/**
 * The body as JSON, read within the body timeout and the call's deadline (a body that stalls
 * after the headers must not hold the call), and abandoned on the caller's abort.
 */
async function readJson(ctx: CallContext, response: Response): Promise<unknown> {
  try {
    return await readJsonWithin(response, bodyReadLimit(ctx));
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    throw new UnreadableLookup(error instanceof BodyTimeoutError ? 'the lookup answer stalled' : 'the lookup answer is not JSON', { cause: error });
  }
}
