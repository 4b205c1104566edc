import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import type { RequestRecord } from '../../src/store/record.js';
import type { KeyvRequestStore } from '../../src/store/request-store.js';
import { describeAliveContract } from './alive-contract.js';

/** How the contract suite opens stores of one backend. */
export interface StoreContractTarget {
  /** Opens a store on `namespace`; stores opened on one namespace must share records. */
  open(namespace: string): KeyvRequestStore | Promise<KeyvRequestStore>;
  /** Whether two stores opened on one namespace use separate clients and connections. */
  readonly separateInstancesShare: boolean;
}

const day = 86_400_000;

/** A pending record for `scope`, with fields overridable. */
export function makeRecord(scope: string, overrides: Partial<RequestRecord> = {}): RequestRecord {
  const now = Date.now();
  return {
    scope,
    clientRequestId: randomUUID(),
    state: 'pending',
    operation: 'POST /v1/orders/create',
    fingerprint: 'sha256:0f1e2d',
    attempts: 0,
    owner: `worker-${randomUUID().slice(0, 8)}`,
    leaseUntil: now + 30_000,
    version: 1,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

/** Each record operation of `store` with its name, for tests that try them all (markAlive too, where the store has it). */
export function storeOperations(store: KeyvRequestStore): Array<readonly [string, () => Promise<unknown>]> {
  const operations: Array<readonly [string, () => Promise<unknown>]> = [
    ['claim', () => store.claim(makeRecord('x'), day)],
    ['get', () => store.get('x')],
    ['update', () => store.update(makeRecord('x', { version: 2 }), 1, day)],
    ['delete', () => store.delete('x')],
  ];
  if (store.markAlive !== undefined) operations.push(['markAlive', () => store.markAlive!('owner', 1000)]);
  return operations;
}

/** A unique namespace per test, so runs and tests never see each other's records. */
export function uniqueNamespace(): string {
  return `sf-test-${randomUUID().slice(0, 12)}`;
}

/** Opens stores of `target` for the current describe block and closes each after its test. */
export function openedPerTest(target: StoreContractTarget): (namespace?: string) => Promise<KeyvRequestStore> {
  const opened: KeyvRequestStore[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });
  return async (namespace = uniqueNamespace()) => {
    const store = await target.open(namespace);
    opened.push(store);
    return store;
  };
}

/** The RequestStore contract, run against one backend. */
export function describeStoreContract(name: string, target: StoreContractTarget): void {
  describe(`${name} request store contract`, () => {
    const open = openedPerTest(target);

    it('claims an absent scope, and keyv reads the claimed record', async () => {
      const store = await open();
      const record = makeRecord('job-1:create');
      expect(await store.claim(record, day)).toEqual({ claimed: true });
      expect(await store.get('job-1:create')).toEqual(record);
      expect(await store.keyv.get('job-1:create')).toEqual(record);
    });

    it('rejects with the reason of a signal that aborted before the operation, and writes nothing', async () => {
      const store = await open();
      const reason = new Error('caller gave up');
      const signal = AbortSignal.abort(reason);
      const record = makeRecord('job-abort:create');
      await expect(store.claim(record, day, { signal })).rejects.toBe(reason);
      await expect(store.get('job-abort:create', { signal })).rejects.toBe(reason);
      await expect(store.update({ ...record, version: 2 }, 1, day, { signal })).rejects.toBe(reason);
      await expect(store.delete('job-abort:create', { signal })).rejects.toBe(reason);
      expect(await store.get('job-abort:create')).toBeUndefined();
    });

    it('refuses a second claim of the same scope and returns the first record', async () => {
      const store = await open();
      const first = makeRecord('job-2:create', { owner: 'first' });
      await store.claim(first, day);
      const second = await store.claim(makeRecord('job-2:create', { owner: 'second' }), day);
      expect(second).toEqual({ claimed: false, existing: first });
    });

    it('lets exactly one of 10 concurrent claims for one scope win', async () => {
      const store = await open();
      const claims = Array.from({ length: 10 }, (_, i) => makeRecord('job-3:create', { owner: `w${i}` }));
      const results = await Promise.all(claims.map((r) => store.claim(r, day)));
      const winners = results.flatMap((r, i) => (r.claimed ? [claims[i]] : []));
      expect(winners).toHaveLength(1);
      for (const r of results) if (!r.claimed) expect(r.existing.owner).toBe(winners[0]?.owner);
      expect((await store.get('job-3:create'))?.owner).toBe(winners[0]?.owner);
    });

    // Only stores that several instances share (Redis, PostgreSQL) have this case to prove.
    const itShared = target.separateInstancesShare ? it : () => undefined;
    itShared('lets exactly one of 10 concurrent claims win across 3 separate instances', async () => {
      const namespace = uniqueNamespace();
      const stores = [await open(namespace), await open(namespace), await open(namespace)];
      for (const s of stores) expect(await s.get('warm-up')).toBeUndefined();
      const claims = Array.from({ length: 10 }, (_, i) => makeRecord('job-4:create', { owner: `w${i}` }));
      const results = await Promise.all(claims.map((r, i) => stores[i % 3]!.claim(r, day)));
      expect(results.filter((r) => r.claimed)).toHaveLength(1);
      const owners = new Set(await Promise.all(stores.map(async (s) => (await s.get('job-4:create'))?.owner)));
      expect(owners.size).toBe(1);
    });

    it('updates with the stored version (an unanswered send and one in flight included) and refuses a stale one', async () => {
      const store = await open();
      const record = makeRecord('job-5:create');
      await store.claim(record, day);
      const unanswered = { sentAt: Date.now(), timeoutMs: 30_000 };
      const sent = { ...record, attempts: 1, firstSentAt: Date.now(), lastSent: 'ambiguous' as const, unanswered, inFlight: { sentAt: Date.now(), timeoutMs: 5000 }, version: 2 };
      expect(await store.update(sent, 1, day)).toBe(true);
      expect(await store.get(record.scope)).toEqual(sent);
      const stale = { ...record, state: 'failed' as const, version: 2 };
      expect(await store.update(stale, 1, day)).toBe(false);
      expect(await store.get(record.scope)).toEqual(sent);
    });

    it('lets exactly one of concurrent updates from the same version win', async () => {
      const store = await open();
      const record = makeRecord('job-6:create');
      await store.claim(record, day);
      const takeovers = Array.from({ length: 8 }, (_, i) => ({ ...record, owner: `w${i}`, version: 2 }));
      const results = await Promise.all(takeovers.map((r) => store.update(r, 1, day)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store.get(record.scope))?.owner).toBe(takeovers[results.indexOf(true)]?.owner);
    });

    it('refuses to update a scope that has no record', async () => {
      const store = await open();
      expect(await store.update(makeRecord('job-7:none', { version: 2 }), 1, day)).toBe(false);
      expect(await store.get('job-7:none')).toBeUndefined();
    });

    it('treats an expired record as absent: get misses and claim succeeds again', async () => {
      const store = await open();
      await store.claim(makeRecord('job-8:create', { owner: 'dead' }), 100);
      await systemClock.sleep(250);
      expect(await store.get('job-8:create')).toBeUndefined();
      const again = makeRecord('job-8:create', { owner: 'alive' });
      expect(await store.claim(again, day)).toEqual({ claimed: true });
      expect(await store.get('job-8:create')).toEqual(again);
    });

    it('refuses to update an expired record', async () => {
      const store = await open();
      const record = makeRecord('job-9:create');
      await store.claim(record, 100);
      await systemClock.sleep(250);
      expect(await store.update({ ...record, version: 2 }, 1, day)).toBe(false);
    });

    it('round-trips a succeeded record with a base64 body and colon-leading strings', async () => {
      const store = await open();
      const record = makeRecord('job-10:create');
      await store.claim(record, day);
      const done: RequestRecord = {
        ...record,
        state: 'succeeded',
        attempts: 2,
        firstSentAt: 1_700_000_000_000,
        lastSent: 'delivered',
        version: 3,
        response: {
          status: 201,
          headers: { 'content-type': 'application/octet-stream', 'x-note': ':base64:aGk=' },
          body: Buffer.from([0, 1, 2, 250, 251, 255]).toString('base64'),
          bodyEncoding: 'base64',
        },
        operation: ':colon-leading operation',
      };
      expect(await store.update(done, 1, day)).toBe(true);
      const read = await store.get(record.scope);
      expect(read).toEqual(done);
      expect(Buffer.from(read?.response?.body ?? '', 'base64')).toEqual(Buffer.from([0, 1, 2, 250, 251, 255]));
      expect(read?.response?.headers['x-note']).toBe(':base64:aGk=');
    });

    it('round-trips a failed record with its error', async () => {
      const store = await open();
      const record = makeRecord('job-11:create');
      await store.claim(record, day);
      const failed: RequestRecord = { ...record, state: 'failed', version: 2, error: { code: 'VALIDATION_ERROR', message: 'email: invalid', status: 400 } };
      expect(await store.update(failed, 1, day)).toBe(true);
      expect(await store.keyv.get(record.scope)).toEqual(failed);
    });

    it('stores exactly { value: record, expires } and nothing else', async () => {
      const store = await open();
      const record = makeRecord('job-12:create');
      const before = Date.now();
      await store.claim(record, day);
      const raw = await store.keyv.getRaw(record.scope);
      expect(Object.keys(raw ?? {}).sort()).toEqual(['expires', 'value']);
      expect(raw?.value).toEqual(record);
      expect(Object.keys(raw?.value as object).sort()).toEqual(Object.keys(record).sort());
      expect(raw?.expires).toBeGreaterThanOrEqual(before + day);
    });

    it('refuses a record whose stored response carries a credential header', async () => {
      const store = await open();
      const record = makeRecord('job-13:create', {
        state: 'succeeded',
        response: { status: 200, headers: { 'Set-Cookie': 'session=abc' }, body: '', bodyEncoding: 'utf8' },
      });
      await expect(store.claim(record, day)).rejects.toThrow(TypeError);
      expect(await store.get(record.scope)).toBeUndefined();
    });

    it('deletes a record so the scope can be claimed again', async () => {
      const store = await open();
      await store.claim(makeRecord('job-14:create'), day);
      await store.delete('job-14:create');
      expect(await store.get('job-14:create')).toBeUndefined();
      expect(await store.claim(makeRecord('job-14:create'), day)).toEqual({ claimed: true });
      await expect(store.delete('job-14:absent')).resolves.toBeUndefined();
    });

    it('rejects invalid TTLs and non-advancing versions before touching the backend', async () => {
      const store = await open();
      const record = makeRecord('job-15:create');
      await expect(store.claim(record, 0)).rejects.toThrow(RangeError);
      await expect(store.claim(record, 1.5)).rejects.toThrow(RangeError);
      await store.claim(record, day);
      await expect(store.update({ ...record, version: 1 }, 1, day)).rejects.toThrow(RangeError);
    });

    it('rejects every operation after close with STORE_UNAVAILABLE', async () => {
      const store = await target.open(uniqueNamespace());
      await store.close();
      await expect(store.claim(makeRecord('job-16:create'), day)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', operation: 'claim' });
      await expect(store.get('job-16:create')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', operation: 'get' });
    });
  });
  describeAliveContract(name, target);
}
