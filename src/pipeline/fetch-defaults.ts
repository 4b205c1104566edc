/**
 * The headers Node's fetch adds to a request that has none of its own (`accept`, `user-agent`,
 * `accept-encoding`, ...), as the dispatcher probe saw them (see `probeAttemptDispatchers`), so
 * that a request sent past fetch (see `dispatchFetch`) leaves with the same ones.
 */

let defaultHeaders: ReadonlyArray<readonly [string, string]> | undefined;

/** Notes the headers of the probe's bare GET, as fetch handed them to its dispatcher. @internal */
export function noteFetchDefaults(dispatchOptions: unknown): void {
  defaultHeaders ??= headerPairsOf((dispatchOptions as { headers?: unknown } | null)?.headers);
}

/** The headers Node's fetch sends with a bare GET, once a probe has seen them; `undefined` before. @internal */
export function fetchDefaultHeaders(): ReadonlyArray<readonly [string, string]> | undefined {
  return defaultHeaders;
}

// undici's fetch hands its dispatcher the headers as a record of strings; anything else is not known.
function headerPairsOf(headers: unknown): ReadonlyArray<readonly [string, string]> | undefined {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return undefined;
  const pairs: Array<readonly [string, string]> = [];
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') return undefined;
    pairs.push([name.toLowerCase(), value]);
  }
  return Object.freeze(pairs);
}
