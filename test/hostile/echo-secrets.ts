/**
 * A server that echoes credentials back, as careless APIs do: every query value, form field
 * value and credential header value it received appears, without its name, in its error
 * message, its field errors and a response header, and the full query string (names included)
 * in a `Link` header.
 */
import { startHostileServer, type HostileServer } from './server.js';

/** Options of {@link startEchoSecretsServer}. */
export interface EchoSecretsOptions {
  /** The status of every answer. @default 401 */
  readonly status?: number;
}

const echoedHeaders = ['authorization', 'x-api-key', 'cookie', 'x-shop-token'];

/**
 * Starts a server whose every answer is an error quoting what it was sent.
 *
 * @example
 * ```ts
 * const server = await startEchoSecretsServer({ status: 500 });
 * ```
 */
export function startEchoSecretsServer(options: EchoSecretsOptions = {}): Promise<HostileServer> {
  const { status = 401 } = options;
  return startHostileServer((seen, response) => {
    const query = seen.path.includes('?') ? seen.path.slice(seen.path.indexOf('?') + 1) : '';
    const values = [
      ...new URLSearchParams(query.replace(/;/g, '&')).values(),
      ...echoedHeaders.map((name) => seen.headers[name]).filter((value): value is string => typeof value === 'string'),
      ...(String(seen.headers['content-type']).startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(seen.body).values() : []),
    ];
    response.writeHead(status, {
      'content-type': 'application/json',
      link: `<http://api.test/v1/next?page=2&${query}>; rel="next"`,
      'x-debug-echo': values.join(' '),
    });
    response.end(
      JSON.stringify({
        message: `rejected credentials ${values.join(', ')}`,
        errors: values.map((value) => `credential: ${value} is not valid`),
      }),
    );
  });
}
