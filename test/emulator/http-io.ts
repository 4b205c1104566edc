/**
 * Low-level `node:http` helpers: reading and parsing a request body, flattening headers for
 * the log, and writing a {@link Reply}.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Reply } from './types.js';

/** A request body as read off the wire. */
export interface ParsedBody {
  /** The raw text. */
  readonly text: string;
  /** Parsed JSON, the text when it is not JSON, or `undefined` when empty. */
  readonly value: unknown;
  /** `true` when the body is non-empty and not valid JSON. */
  readonly malformed: boolean;
}

/**
 * Reads the whole body of `request` and parses it as JSON when possible.
 *
 * @example
 * ```ts
 * const body = await readBody(request);
 * if (body.malformed) console.log(body.text);
 * ```
 */
export async function readBody(request: IncomingMessage): Promise<ParsedBody> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return { text, value: undefined, malformed: false };
  try {
    return { text, value: JSON.parse(text) as unknown, malformed: false };
  } catch {
    return { text, value: text, malformed: true };
  }
}

/**
 * Flattens headers to `name → value` with `authorization` redacted (names are already lower
 * case in Node).
 *
 * @example
 * ```ts
 * logHeaders({ authorization: 'Bearer x' }); // { authorization: '[redacted]' }
 * ```
 */
export function logHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name] = name === 'authorization' ? '[redacted]' : Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/** The single value of a header, or `undefined`. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Writes `reply` with `extraHeaders` underneath its own headers (the reply's win). Does
 * nothing when the client already went away.
 *
 * @returns whether the answer was written.
 */
export function writeReply(response: ServerResponse, reply: Reply, extraHeaders: Record<string, string> = {}): boolean {
  if (response.destroyed || response.headersSent || response.socket?.destroyed !== false) return false;
  const headers: Record<string, string> = { ...extraHeaders };
  let payload = '';
  if (typeof reply.body === 'string') {
    payload = reply.body;
    headers['Content-Type'] = 'text/plain; charset=utf-8';
  } else if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body);
    headers['Content-Type'] = 'application/json';
  }
  for (const [name, value] of Object.entries(reply.headers ?? {})) {
    const existing = Object.keys(headers).find((key) => key.toLowerCase() === name.toLowerCase());
    if (existing !== undefined) delete headers[existing];
    headers[name] = value;
  }
  headers['Content-Length'] = String(Buffer.byteLength(payload));
  response.writeHead(reply.status, headers);
  response.end(payload);
  return true;
}

/**
 * Destroys the socket of `response` with a TCP reset when the platform can, so the client
 * sees the connection drop without an answer.
 */
export function resetSocket(response: ServerResponse): void {
  const socket = response.socket;
  if (!socket || socket.destroyed) return;
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}
