import { describe, expect, it } from 'vitest';
import { createManualClock, systemClock } from '../src/core/clock.js';
import { createRecordWriter } from '../src/idempotency/record-writer.js';
import { memoryStore } from '../src/store/memory-store.js';
import { makeRecord } from './support/store-contract.js';

describe('createRecordWriter', () => {
  it('renews the lease while running and stops when told', async () => {
    const store = memoryStore();
    const claimed = makeRecord('s', { leaseUntil: Date.now() + 60 });
    await store.claim(claimed, 60_000);
    const writer = createRecordWriter(claimed, { store, ttlMs: 60_000, clock: systemClock, leaseMs: 60 });
    await systemClock.sleep(200);
    const renewed = await store.get('s');
    expect(renewed?.version).toBeGreaterThan(2);
    expect(renewed?.leaseUntil).toBeGreaterThan(claimed.leaseUntil);
    writer.stop();
    const version = (await store.get('s'))?.version;
    await systemClock.sleep(100);
    expect((await store.get('s'))?.version).toBe(version);
  });

  it('serializes writes and reports a lost compare-and-set', async () => {
    const store = memoryStore();
    const claimed = makeRecord('s');
    await store.claim(claimed, 60_000);
    const writer = createRecordWriter(claimed, { store, ttlMs: 60_000, clock: createManualClock(), leaseMs: 60_000 });
    expect(await Promise.all([writer.write({ attempts: 1 }), writer.write({ attempts: 2 }), writer.write({ attempts: 3 })])).toEqual([true, true, true]);
    expect(await store.get('s')).toMatchObject({ attempts: 3, version: 4 });
    await store.update({ ...claimed, owner: 'thief', version: 5 }, 4, 60_000);
    expect(await writer.write({ attempts: 4 })).toBe(false);
    expect(writer.current().attempts).toBe(3);
    writer.stop();
  });
});
