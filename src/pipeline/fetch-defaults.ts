/**
 * What Node's fetch adds to a request that has none of its own, as the dispatcher probe saw it
 * (see `probeAttemptDispatchers`), per scheme (`accept-encoding` offers `br` over https only),
 * and the ports fetch refuses: a request sent past fetch (see `dispatchFetch`) leaves with the
 * same headers, and never to a port fetch would not send to.
 */

const defaultHeaders = new Map<string, ReadonlyArray<readonly [string, string]>>();

/** Notes the headers of one of the probe's bare GETs, as fetch handed them to its dispatcher. @internal */
export function noteFetchDefaults(dispatchOptions: unknown): void {
  const { origin, headers } = (dispatchOptions ?? {}) as { origin?: unknown; headers?: unknown };
  const scheme = typeof origin === 'string' ? /^(https?):/.exec(origin)?.[1] : undefined;
  const pairs = headerPairsOf(headers);
  if (scheme !== undefined && pairs !== undefined && !defaultHeaders.has(scheme)) defaultHeaders.set(scheme, pairs);
}

/**
 * The headers Node's fetch sends with a bare GET over `scheme` (`'http'`, `'https'`), once a
 * probe has seen them; `undefined` before. @internal
 */
export function fetchDefaultHeaders(scheme: string): ReadonlyArray<readonly [string, string]> | undefined {
  return defaultHeaders.get(scheme);
}

// The fetch standard's blocked ports (undici's `badPorts`): fetch refuses to send to them.
const BLOCKED_PORTS = new Set([
  '1', '7', '9', '11', '13', '15', '17', '19', '20', '21', '22', '23', '25', '37', '42', '43', '53', '69', '77', '79', '87', '95', '101', '102', '103', '104',
  '109', '110', '111', '113', '115', '117', '119', '123', '135', '137', '139', '143', '161', '179', '389', '427', '465', '512', '513', '514', '515', '526',
  '530', '531', '532', '540', '548', '554', '556', '563', '587', '601', '636', '989', '990', '993', '995', '1719', '1720', '1723', '2049', '3659', '4045',
  '4190', '5060', '5061', '6000', '6566', '6665', '6666', '6667', '6668', '6669', '6679', '6697', '10080',
]);

/** Whether fetch refuses to send to `port` (a URL's `port`: `''` for the scheme's default). @internal */
export function isBlockedPort(port: string): boolean {
  return BLOCKED_PORTS.has(port);
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
