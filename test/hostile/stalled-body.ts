/**
 * A server that sends the status line and headers, then the first bytes of the body, and then
 * nothing more, ever: the connection stays open and the body never ends. `answer` may let some
 * requests through with a complete answer (a create's 500 before a lookup that stalls).
 */
import { startHostileServer, type HostileServer, type SeenRequest } from './server.js';

/** A complete answer. */
export interface CompleteAnswer {
  readonly status: number;
  readonly body: string;
}

/** Options of {@link startStalledBodyServer}. */
export interface StalledBodyOptions {
  /** The status of every stalled answer. */
  readonly status: number;
  /** @default { 'content-type': 'application/json' } */
  readonly headers?: Readonly<Record<string, string>>;
  /** What is written of the body before it stalls. @default '{"message":"' */
  readonly prefix?: string;
  /** A complete answer for a request that should not stall; `undefined` stalls it. @default none */
  readonly answer?: (seen: SeenRequest) => CompleteAnswer | undefined;
}

/**
 * Starts a server whose answers stall after their headers and `prefix`.
 *
 * @example
 * ```ts
 * const server = await startStalledBodyServer({ status: 500 });
 * ```
 */
export function startStalledBodyServer(options: StalledBodyOptions): Promise<HostileServer> {
  const { status, headers = { 'content-type': 'application/json' }, prefix = '{"message":"', answer = () => undefined } = options;
  return startHostileServer((seen, response) => {
    const complete = answer(seen);
    if (complete !== undefined) {
      response.writeHead(complete.status, headers);
      response.end(complete.body);
      return;
    }
    response.writeHead(status, headers);
    response.write(prefix);
    // Never `end()`: the body stalls until the client gives up on it.
  });
}
