import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A service the tests need, or why it is not available. */
export type ServiceProbe = { readonly url: string; readonly skipReason?: undefined } | { readonly url?: undefined; readonly skipReason: string };

let redisProbe: Promise<ServiceProbe> | undefined;
let startedRedis: ChildProcess | undefined;

function canConnect(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function whichRedisServer(): Promise<string | undefined> {
  for (const candidate of ['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/usr/sbin/redis-server']) {
    if (await import('node:fs').then((fs) => fs.existsSync(candidate))) return candidate;
  }
  return undefined;
}

async function probeRedis(): Promise<ServiceProbe> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const parsed = new URL(url);
  const port = Number(parsed.port || 6379);
  if (await canConnect(parsed.hostname, port)) return { url };
  const binary = await whichRedisServer();
  if (!binary) return { skipReason: `no Redis answers at ${url} and no redis-server is installed (set REDIS_URL or install redis-server)` };
  const ownPort = 20_000 + Math.floor(Math.random() * 20_000);
  const dir = mkdtempSync(join(tmpdir(), 'surefetch-redis-'));
  startedRedis = spawn(binary, ['--port', String(ownPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore', detached: false });
  startedRedis.unref();
  process.once('exit', () => startedRedis?.kill('SIGKILL'));
  for (let i = 0; i < 50; i += 1) {
    if (await canConnect('127.0.0.1', ownPort)) return { url: `redis://127.0.0.1:${ownPort}` };
    await new Promise((r) => setTimeout(r, 100));
  }
  return { skipReason: `started ${binary} on port ${ownPort} but it did not answer within 5 s` };
}

/**
 * Finds a Redis for the tests: `REDIS_URL` (default `redis://127.0.0.1:6379`); when none answers,
 * starts a private `redis-server` if one is installed; otherwise says why the tests are skipped.
 */
export function redisForTests(): Promise<ServiceProbe> {
  redisProbe ??= probeRedis();
  return redisProbe;
}

let postgresProbe: Promise<ServiceProbe> | undefined;

/** Starts the machine's installed PostgreSQL cluster (Debian's `pg_ctlcluster`), if there is one. */
async function startInstalledPostgres(): Promise<boolean> {
  const fs = await import('node:fs');
  if (!fs.existsSync('/usr/bin/pg_ctlcluster') || !fs.existsSync('/etc/postgresql')) return false;
  const versions = fs.readdirSync('/etc/postgresql');
  const version = versions[versions.length - 1];
  if (version === undefined) return false;
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

async function probePostgres(): Promise<ServiceProbe> {
  const url = process.env.POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
  const parsed = new URL(url);
  const port = Number(parsed.port || 5432);
  if (await canConnect(parsed.hostname, port)) return { url };
  if (await startInstalledPostgres()) {
    for (let i = 0; i < 50; i += 1) {
      if (await canConnect(parsed.hostname, port)) return { url };
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { skipReason: `no PostgreSQL answers at ${url} and none could be started here (set POSTGRES_URL)` };
}

/**
 * Finds a PostgreSQL for the tests: `POSTGRES_URL` (default `postgresql://postgres@127.0.0.1:5432/test`);
 * when none answers, starts the installed cluster if there is one; otherwise says why the tests are skipped.
 */
export function postgresForTests(): Promise<ServiceProbe> {
  postgresProbe ??= probePostgres();
  return postgresProbe;
}
