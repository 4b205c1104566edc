/**
 * HTTPS servers whose TLS handshake fails on the client, with certificates made at test time by
 * `openssl`: a chain signed by a root the client does not trust, sent without that root (what a
 * corporate TLS-inspecting proxy presents: the client reports `UNABLE_TO_GET_ISSUER_CERT_LOCALLY`),
 * or a server that speaks only TLS versions the client refuses.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerOptions } from 'node:https';
import { startHostileServer, type HostileServer } from './server.js';

/** A leaf certificate for 127.0.0.1 and the intermediate that signed it (its root is thrown away). */
export interface UntrustedChain {
  /** The leaf's private key (PEM). */
  readonly key: string;
  /** Leaf then intermediate (PEM): the chain a server sends. */
  readonly cert: string;
}

/**
 * Makes a root, an intermediate and a leaf for 127.0.0.1 with `openssl`, in a directory that is
 * removed afterwards.
 *
 * @example
 * ```ts
 * const chain = makeUntrustedChain();
 * ```
 */
export function makeUntrustedChain(): UntrustedChain {
  const dir = mkdtempSync(join(tmpdir(), 'surefetch-tls-'));
  const at = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'ignore' });
  };
  try {
    writeFileSync(at('ca.cnf'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
    writeFileSync(at('leaf.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    const key = (name: string): string[] => ['-newkey', 'rsa:2048', '-nodes', '-keyout', at(`${name}.key`)];
    openssl('req', '-x509', ...key('root'), '-out', at('root.pem'), '-days', '2', '-subj', '/CN=Untrusted Root');
    openssl('req', ...key('int'), '-out', at('int.csr'), '-subj', '/CN=Untrusted Intermediate');
    const sign = (csr: string, ca: string, out: string, ext: string): void =>
      openssl('x509', '-req', '-in', at(csr), '-CA', at(`${ca}.pem`), '-CAkey', at(`${ca}.key`), '-CAcreateserial', '-out', at(out), '-days', '2', '-extfile', at(ext));
    sign('int.csr', 'root', 'int.pem', 'ca.cnf');
    openssl('req', ...key('leaf'), '-out', at('leaf.csr'), '-subj', '/CN=localhost');
    sign('leaf.csr', 'int', 'leaf.pem', 'leaf.cnf');
    return { key: readFileSync(at('leaf.key'), 'utf8'), cert: readFileSync(at('leaf.pem'), 'utf8') + readFileSync(at('int.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A TLS server and the connections made to it. */
export interface TlsHostileServer extends HostileServer {
  /**
   * How many TCP connections clients opened (one per attempt: each starts a handshake). Counted
   * on accept, which comes before the server sends its certificate, so it is up to date as soon
   * as the client has given up.
   */
  readonly connections: () => number;
}

/**
 * Starts an HTTPS server that answers 201 to anything that gets through (nothing should).
 *
 * @example
 * ```ts
 * const server = await startTlsServer(makeUntrustedChain());
 * const old = await startTlsServer(chain, { maxVersion: 'TLSv1.1', minVersion: 'TLSv1' });
 * ```
 */
export async function startTlsServer(chain: UntrustedChain, options: ServerOptions = {}): Promise<TlsHostileServer> {
  let connections = 0;
  const server = await startHostileServer((_seen, response) => {
    response.writeHead(201, { 'content-type': 'application/json' });
    response.end('{"id":"ord_1"}');
  }, { ...chain, ...options });
  server.server.on('connection', () => {
    connections += 1;
  });
  return { ...server, connections: () => connections };
}
