/**
 * A server that echoes credentials back, as careless APIs do: every query value, form field
 * value, JSON body string field, multipart text field and credential header value it received
 * appears, without its
 * name, in its error message, its field errors and a response header, and the full query string
 * (names included) in a `Link` header. Like many APIs it reads a body that parses as JSON as
 * JSON whatever its content type (`text/plain`, as fetch labels a string body).
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
      ...jsonStrings(seen.body),
      ...multipartTextValues(seen.body),
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

// The string fields of a body that parses as a JSON object (top level), else none.
function jsonStrings(body: string): string[] {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed === null || typeof parsed !== 'object') return [];
    return Object.values(parsed).filter((value): value is string => typeof value === 'string');
  } catch {
    return [];
  }
}

// The values of a multipart body's text parts (a part with no filename), else none.
function multipartTextValues(body: string): string[] {
  return [...body.matchAll(/name="[^"]*"\r\n\r\n([^\r]*)\r\n/g)].map((match) => match[1] ?? '');
}
