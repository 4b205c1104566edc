/**
 * Carries out one request under one fault: when to apply it, what (if anything) to answer,
 * and when to drop the connection instead.
 */
import type { Fault } from './fault.js';
import type { Reply } from './types.js';

/** What the fault runner may do with one request. */
export interface Exchange {
  /** Applies the request (commits it) and returns its normal answer. */
  apply(): Reply;
  /** Sends an answer; `real` answers carry the rate-limit headers, scripted ones do not. */
  send(reply: Reply, real: boolean): void;
  /** Destroys the socket without answering. */
  reset(): void;
  /** The API's own 500 answer. */
  serverError(): Reply;
  /** Runs `task` after `ms` of real time unless the emulator closes first. */
  later(ms: number, task: () => void): void;
}

/**
 * Handles one request under `fault` (or normally when `undefined`).
 *
 * @example
 * ```ts
 * runFault({ kind: 'commit-then-500' }, exchange); // applies, then answers 500
 * ```
 */
export function runFault(fault: Fault | undefined, exchange: Exchange): void {
  if (!fault) {
    exchange.send(exchange.apply(), true);
    return;
  }
  switch (fault.kind) {
    case 'delay':
      // The request is applied even when the client gave up during the delay, as a real
      // server that already received it would.
      exchange.later(fault.ms, () => exchange.send(exchange.apply(), true));
      return;
    case 'commit-then-500':
      exchange.apply();
      exchange.send(exchange.serverError(), true);
      return;
    case 'commit-then-reset':
      exchange.apply();
      exchange.reset();
      return;
    case 'commit-then-stall': {
      const reply = exchange.apply();
      const { stallMs } = fault;
      if (stallMs !== undefined) exchange.later(stallMs, () => exchange.send(reply, true));
      return;
    }
    case 'commit-late':
      exchange.later(fault.commitDelayMs, () => exchange.apply());
      if (fault.stallMs === undefined) exchange.send(exchange.serverError(), true);
      else exchange.later(fault.stallMs, () => exchange.send(exchange.serverError(), true));
      return;
    case 'reject-500':
      exchange.send(exchange.serverError(), true);
      return;
    case 'reset-before-commit':
      exchange.reset();
      return;
    case 'proxy-502':
      if (fault.commit === true) exchange.apply();
      exchange.send(proxyBadGateway(), false);
      return;
    case 'respond':
      exchange.send(fault, false);
      return;
  }
}

/**
 * A 502 page as a reverse proxy in front of the API would send it: HTML, not the API's error
 * format, and long enough that a client printing it whole would flood a log.
 */
export function proxyBadGateway(): Reply {
  const padding = '<!-- a padding to disable MSIE and Chrome friendly error page -->\n'.repeat(6);
  const filler = Array.from(
    { length: 40 },
    (_, i) => `<p class="trace">upstream connect error or disconnect/reset before headers (hop ${i + 1})</p>`,
  ).join('\n');
  const body =
    '<html><head><title>502 Bad Gateway</title>\n' +
    '<style>body{font-family:sans-serif;margin:4em;color:#333}.trace{color:#999;font-size:10px}</style>\n' +
    '</head>\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center>\n' +
    `${filler}\n</body>\n</html>\n${padding}`;
  return { status: 502, headers: { 'Content-Type': 'text/html', Server: 'nginx' }, body };
}
