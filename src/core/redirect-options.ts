/** How surefetch follows redirects (`createFetch({ redirects })`, or per call). */
export interface RedirectOptions {
  /** Most redirects followed within one attempt; one more ends in `TOO_MANY_REDIRECTS`. @default 10 */
  readonly max?: number;
  /**
   * Follow a 301, 302 or 303 answered to a request other than GET or HEAD by sending a GET
   * without the body, as browsers do. Off by default, because such an answer often means "done,
   * see there" and the GET's 200 would pass for the create's success: it is refused with a
   * `RedirectError` instead.
   * @default false
   */
  readonly followAsGet?: boolean;
}

/** The redirect settings of one call, resolved. */
export type RedirectPolicy = Required<RedirectOptions>;

/** The default {@link RedirectPolicy}. */
export const defaultRedirectPolicy: RedirectPolicy = Object.freeze({ max: 10, followAsGet: false });
