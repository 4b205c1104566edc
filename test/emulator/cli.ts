/**
 * Starts both emulated APIs and prints one JSON line to stdout:
 * `{"fulfillment":{"url","apiKey"},"warehouse":{"url","apiKey"}}`. Stays up until SIGTERM or
 * SIGINT. Usage: `npx tsx test/emulator/cli.ts [--rate-limit 50/1000] [--list-lag 200] [--seed 7]`.
 */
import { startFulfillment } from './fulfillment.js';
import type { EmulatorOptions } from './types.js';
import { startWarehouse } from './warehouse.js';

/** Parses the command-line flags into emulator options. */
function parseCliOptions(argv: readonly string[]): EmulatorOptions {
  const flag = (name: string): string | undefined => {
    const index = argv.indexOf(name);
    return index === -1 ? undefined : argv[index + 1];
  };
  const rate = flag('--rate-limit');
  const rateMatch = rate === undefined ? null : /^(\d+)\/(\d+)$/.exec(rate);
  if (rate !== undefined && !rateMatch) throw new Error(`--rate-limit expects LIMIT/WINDOW_MS, got ${rate}`);
  const lag = flag('--list-lag');
  const seed = flag('--seed');
  return {
    ...(rateMatch ? { rateLimit: { limit: Number(rateMatch[1]), windowMs: Number(rateMatch[2]) } } : {}),
    ...(lag === undefined ? {} : { listLagMs: Number(lag) }),
    ...(seed === undefined ? {} : { seed: Number(seed) }),
  };
}

async function main(): Promise<void> {
  const options = parseCliOptions(process.argv.slice(2));
  const [fulfillment, warehouse] = await Promise.all([startFulfillment(options), startWarehouse(options)]);
  process.stdout.write(
    `${JSON.stringify({
      fulfillment: { url: fulfillment.url, apiKey: fulfillment.apiKey },
      warehouse: { url: warehouse.url, apiKey: warehouse.apiKey },
    })}\n`,
  );
  const shutdown = (): void => {
    void Promise.all([fulfillment.close(), warehouse.close()]).then(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
