/**
 * A server that sends the status line and headers, then the first bytes of the body, and then
 * nothing more, ever: the connection stays open and the body never ends.
 */
import { startHostileServer, type HostileServer } from './server.js';

/** Options of {@link startStalledBodyServer}. */
export interface StalledBodyOptions {
  /** The status of every answer. */
  readonly status: number;
  /** @default { 'content-type': 'application/json' } */
  readonly headers?: Readonly<Record<string, string>>;
  /** What is written of the body before it stalls. @default '{"message":"' */
  readonly prefix?: string;
}

/**
 * Starts a server whose every answer stalls after its headers and `prefix`.
 *
 * @example
 * ```ts
 * const server = await startStalledBodyServer({ status: 500 });
 * ```
 */
export function startStalledBodyServer(options: StalledBodyOptions): Promise<HostileServer> {
  const { status, headers = { 'content-type': 'application/json' }, prefix = '{"message":"' } = options;
  return startHostileServer((_seen, response) => {
    response.writeHead(status, headers);
    response.write(prefix);
    // Never `end()`: the body stalls until the client gives up on it.
  });
}
