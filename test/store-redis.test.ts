import { spawn, type ChildProcess } from 'node:child_process';
import { tracked } from './support/child-processes.js';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import KeyvRedis, { createClient, createKeyv } from '@keyv/redis';
import { Keyv } from 'keyv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock, systemClock } from '../src/core/clock.js';
import { keyvReadMarginMs } from '../src/store/keyv-read-guard.js';
import { redisStore } from '../src/store/redis-store.js';
import { StoreUnavailableError } from '../src/store/store-unavailable-error.js';
import { redisForTests } from './support/services.js';
import { describeStoreContract, makeRecord, uniqueNamespace } from './support/store-contract.js';
import { closedPortUrl } from './emulator/closed-port.js';

const day = 86_400_000;
const redis = await redisForTests();
if (redis.skipReason) console.warn(`Redis store tests skipped: ${redis.skipReason}`);
const url = redis.url ?? '';

/** A port nothing listens on. */
const closedPort = async (): Promise<number> => Number(new URL(await closedPortUrl()).port);

async function expectUnavailableQuickly(operation: Promise<unknown>, name: string): Promise<StoreUnavailableError> {
  const started = Date.now();
  const error: unknown = await operation.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(Date.now() - started).toBeLessThan(3000);
  expect(error).toBeInstanceOf(StoreUnavailableError);
  expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', backend: 'redis', operation: name });
  return error as StoreUnavailableError;
}

describe.skipIf(!redis.url)('redisStore', () => {
  describeStoreContract('redis', { open: (namespace) => redisStore({ url, namespace }), separateInstancesShare: true });

  const raw = createClient({ url });
  beforeAll(async () => {
    if (redis.url) await raw.connect();
  });
  afterAll(async () => {
    if (raw.isOpen) await raw.close();
  });

  it("writes on keyv's own key (namespace::namespace:scope) with the TTL as PX", async () => {
    const namespace = uniqueNamespace();
    const store = redisStore({ url, namespace });
    try {
      const record = makeRecord('job-1:create');
      await store.claim(record, 60_000);
      const stored = await raw.get(`${namespace}::${namespace}:job-1:create`);
      expect(JSON.parse(stored ?? 'null')).toMatchObject({ value: { scope: 'job-1:create', owner: record.owner } });
      const pttl = await raw.pTTL(`${namespace}::${namespace}:job-1:create`);
      expect(pttl).toBeGreaterThan(55_000);
      expect(pttl).toBeLessThanOrEqual(60_000);
      expect(await raw.keys(`${namespace}*`)).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('shares records with an independent plain keyv on the same namespace', async () => {
    const namespace = uniqueNamespace();
    const store = redisStore({ url, namespace });
    const plain = new Keyv({ store: new KeyvRedis(url), namespace });
    try {
      const record = makeRecord('job-2:create');
      await store.claim(record, 60_000);
      expect(await plain.get('job-2:create')).toEqual(record);
      await plain.delete('job-2:create');
      expect(await store.get('job-2:create')).toBeUndefined();
    } finally {
      await store.close();
      await plain.disconnect();
    }
  });

  it("works on a caller's keyv from createKeyv (key namespace::scope) and leaves it open on close", async () => {
    const namespace = uniqueNamespace();
    const keyv = createKeyv(url, { namespace, throwOnErrors: true });
    const store = redisStore({ keyv });
    try {
      const record = makeRecord('job-3:create');
      expect(await store.claim(record, 60_000)).toEqual({ claimed: true });
      expect(JSON.parse((await raw.get(`${namespace}::job-3:create`)) ?? 'null')).toMatchObject({ value: { owner: record.owner } });
      expect(await store.update({ ...record, version: 2, state: 'failed' }, 1, 60_000)).toBe(true);
      await store.close();
      expect(await keyv.get('job-3:create')).toMatchObject({ state: 'failed', version: 2 });
    } finally {
      await keyv.disconnect();
    }
  });

  describe('store.keyv reads never delete a record Redis still holds (keyv judges expires on Date.now() and deletes)', () => {
    const hour = 3_600_000;
    const key = (namespace: string, scope: string): string => `${namespace}::${namespace}:${scope}`;

    it("a reader whose clock is ahead of the writer's gets undefined from keyv.get, and the record stays: the store still reads it and a second claim loses", async () => {
      const namespace = uniqueNamespace();
      const writer = redisStore({ url, namespace, clock: createManualClock(Date.now() - hour) }); // an hour behind
      const reader = redisStore({ url, namespace });
      try {
        // expires = writer's now + 60 s: an hour minus a minute ago on Date.now(); Redis keeps it 60 s (PX).
        await writer.claim(makeRecord('job-4:create', { owner: 'writer' }), 60_000);
        expect(JSON.parse((await raw.get(key(namespace, 'job-4:create'))) ?? 'null').expires).toBeLessThan(Date.now());
        expect(await reader.keyv.get('job-4:create')).toBeUndefined();
        expect(await raw.exists(key(namespace, 'job-4:create'))).toBe(1);
        expect((await reader.get('job-4:create'))?.owner).toBe('writer');
        expect(await reader.claim(makeRecord('job-4:create', { owner: 'reader' }), 60_000)).toMatchObject({ claimed: false, existing: { owner: 'writer' } });
      } finally {
        await Promise.all([writer.close(), reader.close()]);
      }
    });

    it("keyv.getMany, getRaw and the iterator return nothing for a record past expires on Date.now() and leave it; keyv.delete still deletes it", async () => {
      const namespace = uniqueNamespace();
      const writer = redisStore({ url, namespace, clock: createManualClock(Date.now() - hour) });
      const reader = redisStore({ url, namespace });
      const scopes = ['job-5:a', 'job-5:b', 'job-5:c'];
      const present = async (scope: string): Promise<number> => raw.exists(key(namespace, scope));
      try {
        for (const scope of scopes) await writer.claim(makeRecord(scope), 60_000);
        expect(await reader.keyv.getMany(['job-5:a'])).toEqual([undefined]);
        expect(await present('job-5:a')).toBe(1);
        expect(await reader.keyv.getRaw('job-5:b')).toBeUndefined();
        expect(await present('job-5:b')).toBe(1);
        const listed: string[] = [];
        expect(reader.keyv.iterator).toBeTypeOf('function'); // keyv made one for this adapter: the loop below runs it
        for await (const [k] of reader.keyv.iterator?.(namespace) ?? []) listed.push(String(k));
        expect(listed).toEqual([]);
        expect(await Promise.all(scopes.map(present))).toEqual([1, 1, 1]);
        expect(await reader.keyv.delete('job-5:a')).toBe(true);
        expect(await present('job-5:a')).toBe(0);
      } finally {
        await Promise.all([writer.close(), reader.close()]);
      }
    });

    it('keyv.has and hasMany answer as keyv.get does: false for a record past expires on Date.now() that Redis still holds, true for a live one', async () => {
      const namespace = uniqueNamespace();
      const writer = redisStore({ url, namespace, clock: createManualClock(Date.now() - hour) });
      const reader = redisStore({ url, namespace });
      try {
        await writer.claim(makeRecord('job-7:past'), 60_000);
        await reader.claim(makeRecord('job-7:live'), 60_000);
        expect(await reader.keyv.has('job-7:past')).toBe(false);
        expect(await reader.keyv.has('job-7:live')).toBe(true);
        expect(await reader.keyv.hasMany(['job-7:past', 'job-7:live', 'job-7:never'])).toEqual([false, true, false]);
        expect(await raw.exists(key(namespace, 'job-7:past'))).toBe(1);
      } finally {
        await Promise.all([writer.close(), reader.close()]);
      }
    });

    it('keyv.get hides a record with less than keyvReadMarginMs left on Date.now(), which the store still reads', async () => {
      const namespace = uniqueNamespace();
      const store = redisStore({ url, namespace });
      try {
        await store.claim(makeRecord('job-6:create', { owner: 'short' }), keyvReadMarginMs / 2);
        expect(await store.keyv.get('job-6:create')).toBeUndefined();
        expect((await store.get('job-6:create'))?.owner).toBe('short');
      } finally {
        await store.close();
      }
    });
  });

  it("refuses a caller's keyv that would swallow errors", () => {
    const keyv = new Keyv({ store: new KeyvRedis(url), namespace: 'x' });
    expect(() => redisStore({ keyv })).toThrow(/throwOnErrors/);
    expect(() => redisStore({ keyv: new Keyv() })).toThrow(/@keyv\/redis/);
  });

  it('rejects quickly with STORE_UNAVAILABLE, and without the password, when nothing listens', async () => {
    const port = await closedPort();
    const store = redisStore({ url: `redis://:hunter2@127.0.0.1:${port}` });
    try {
      const error = await expectUnavailableQuickly(store.claim(makeRecord('x'), day), 'claim');
      expect(error.target).toBe(`redis://:***@127.0.0.1:${port}`);
      expect(`${error.message} ${String(error.stack)} ${String(error.cause)}`).not.toContain('hunter2');
      await expectUnavailableQuickly(store.get('x'), 'get');
      await expectUnavailableQuickly(store.update(makeRecord('x', { version: 2 }), 1, day), 'update');
      await expectUnavailableQuickly(store.delete('x'), 'delete');
    } finally {
      await store.close();
    }
  });

  it('rejects within operationTimeoutMs when the server accepts but never answers', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const store = redisStore({ url: `redis://127.0.0.1:${port}`, operationTimeoutMs: 300 });
    try {
      const error = await expectUnavailableQuickly(store.claim(makeRecord('x'), day), 'claim');
      expect(error.message).toMatch(/300 ms/);
      await expectUnavailableQuickly(store.get('x'), 'get');
    } finally {
      await store.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  const binary = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
  it.skipIf(!binary)('fails fast while its Redis is down and recovers when it comes back', async () => {
    const port = await closedPort();
    const dir = mkdtempSync(join(tmpdir(), 'surefetch-store-redis-'));
    const start = async (): Promise<ChildProcess> => {
      const child = tracked(spawn(binary ?? '', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' }));
      for (let i = 0; i < 50; i += 1) {
        const probe = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
        probe.on('error', () => undefined);
        const up = await probe.connect().then(
          () => true,
          () => false,
        );
        if (up) {
          probe.destroy();
          return child;
        }
        await systemClock.sleep(100);
      }
      throw new Error('private redis-server did not start');
    };
    let server = await start();
    const store = redisStore({ url: `redis://127.0.0.1:${port}` });
    try {
      expect(await store.claim(makeRecord('before'), day)).toEqual({ claimed: true });
      server.kill('SIGKILL');
      await new Promise((resolve) => server.once('exit', resolve));
      await expectUnavailableQuickly(store.claim(makeRecord('during'), day), 'claim');
      await expectUnavailableQuickly(store.get('before'), 'get');
      server = await start();
      let recovered = false;
      for (let i = 0; i < 40 && !recovered; i += 1) {
        recovered = await store.claim(makeRecord('after'), day).then(
          (r) => r.claimed,
          () => false,
        );
        if (!recovered) await systemClock.sleep(100);
      }
      expect(recovered).toBe(true);
    } finally {
      await store.close();
      server.kill('SIGKILL');
    }
  });
});
