/**
 * The content codings of an answer sent past Node's fetch (see `dispatchFetch`), decoded as
 * fetch decodes them, with the same zlib streams and options: gzip and deflate (zlib-wrapped or
 * raw, told by the first byte) and br, leniently at the end (as cURL and browsers are), the last
 * coding applied first, an unknown coding (`identity` too) leaving the body as it came, more
 * than five codings refused. Node's zlib is taken from `process.getBuiltinModule`, never imported:
 * this runs only where Node's own fetch does, and the root entry stays free of Node built-ins.
 */
import type * as NodeZlib from 'node:zlib';
import type * as NodeStream from 'node:stream';

type Transform = NodeStream.Transform;

/** Node's zlib and stream modules, where the runtime lends them without an import (Node 20.16+); `undefined` elsewhere. @internal */
export interface NodeCodecs {
  readonly zlib: typeof NodeZlib;
  readonly stream: typeof NodeStream;
}

let codecs: NodeCodecs | null | undefined;

/** {@link NodeCodecs}, looked up once. @internal */
export function nodeCodecs(): NodeCodecs | undefined {
  if (codecs === undefined) {
    const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    try {
      const zlib = runtime?.getBuiltinModule?.('node:zlib') as typeof NodeZlib | undefined;
      const stream = runtime?.getBuiltinModule?.('node:stream') as typeof NodeStream | undefined;
      codecs = zlib === undefined || stream === undefined ? null : { zlib, stream };
    } catch {
      codecs = null;
    }
  }
  return codecs ?? undefined;
}

// fetch's bound on stacked codings (the fix of a CVE of urllib3 and curl).
const MAX_CODINGS = 5;

/**
 * The decoders of `encoding` (a `Content-Encoding` value), first to apply first; an empty list
 * for none (or a coding fetch does not know); an `Error` for more than five, which fetch refuses. @internal
 */
export function decodersOf(encoding: string | null, { zlib, stream }: NodeCodecs): Transform[] | Error {
  const codings = encoding === null || encoding === '' ? [] : encoding.toLowerCase().split(',');
  if (codings.length > MAX_CODINGS) return new Error(`too many content-encodings in response: ${codings.length}, maximum allowed is ${MAX_CODINGS}`);
  const sync = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  const decoders: Transform[] = [];
  for (let index = codings.length - 1; index >= 0; index -= 1) {
    const coding = codings[index]!.trim();
    if (coding === 'gzip' || coding === 'x-gzip') decoders.push(zlib.createGunzip(sync));
    else if (coding === 'deflate') decoders.push(inflateEither(zlib, stream, sync));
    else if (coding === 'br') decoders.push(zlib.createBrotliDecompress({ flush: zlib.constants.BROTLI_OPERATION_FLUSH, finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH }));
    else return [];
  }
  return decoders;
}

// `deflate` as servers send it: zlib-wrapped (a first byte whose low nibble is 8) or raw.
function inflateEither(zlib: typeof NodeZlib, stream: typeof NodeStream, options: NodeZlib.ZlibOptions): Transform {
  let inner: Transform | undefined;
  const outer: Transform = new stream.Transform({
    transform(chunk: Uint8Array, _encoding, callback) {
      if (inner === undefined) {
        if (chunk.length === 0) return callback();
        inner = (chunk[0]! & 0x0f) === 0x08 ? zlib.createInflate(options) : zlib.createInflateRaw(options);
        inner.on('data', (data: Uint8Array) => outer.push(data));
        inner.on('end', () => outer.push(null));
        inner.on('error', (error: Error) => outer.destroy(error));
      }
      inner.write(chunk, callback);
    },
    final(callback) {
      if (inner === undefined) outer.push(null);
      else inner.end();
      callback();
    },
  });
  return outer;
}

/** Where decoded bytes go, and what the decoders tell. @internal */
export interface DecodedSink {
  data(chunk: Uint8Array): void;
  end(): void;
  error(error: unknown): void;
}

/**
 * Chains `decoders` to `sink`; returns what feeds them. `write` says whether more may come at
 * once (else the caller waits for `drain`); `pause`/`resume` hold the output for a full stream. @internal
 */
export function chainDecoders(decoders: Transform[], sink: DecodedSink): { write(chunk: Uint8Array): boolean; end(): void; destroy(): void; onDrain(then: () => void): void; pause(): void; resume(): void } {
  const first = decoders[0]!;
  const last = decoders[decoders.length - 1]!;
  for (let index = 1; index < decoders.length; index += 1) decoders[index - 1]!.pipe(decoders[index]!);
  for (const decoder of decoders) decoder.on('error', (error: unknown) => sink.error(error));
  last.on('data', (chunk: Uint8Array) => sink.data(chunk));
  last.on('end', () => sink.end());
  return {
    write: (chunk) => first.write(chunk),
    end: () => void first.end(),
    destroy: () => {
      for (const decoder of decoders) decoder.destroy();
    },
    onDrain: (then) => void first.once('drain', then),
    pause: () => void last.pause(),
    resume: () => void last.resume(),
  };
}
