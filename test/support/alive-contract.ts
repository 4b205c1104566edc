import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { openedPerTest, uniqueNamespace, type StoreContractTarget } from './store-contract.js';

/** The liveness-mark part of the RequestStore contract (`markAlive`, `isAlive`), run against one backend. */
export function describeAliveContract(name: string, target: StoreContractTarget): void {
  describe(`${name} liveness marks`, () => {
    const open = openedPerTest(target);

    it('reports a marked owner alive until its mark lapses, then not, and a renewal keeps it alive', async () => {
      const store = await open();
      const owner = randomUUID();
      expect(await store.isAlive?.(owner)).toBe(false);
      await store.markAlive?.(owner, 1000);
      expect(await store.isAlive?.(owner)).toBe(true);
      await systemClock.sleep(600);
      await store.markAlive?.(owner, 1000);
      await systemClock.sleep(600);
      // 1200 ms after the first mark, 600 ms after the renewal: alive only thanks to the renewal.
      expect(await store.isAlive?.(owner)).toBe(true);
      await systemClock.sleep(1000);
      expect(await store.isAlive?.(owner)).toBe(false);
    });

    it('keeps marks apart per owner and per namespace, and apart from request records', async () => {
      const namespace = uniqueNamespace();
      const store = await open(namespace);
      const other = await open();
      const owner = randomUUID();
      await store.markAlive?.(owner, 60_000);
      expect(await store.isAlive?.(randomUUID())).toBe(false);
      expect(await other.isAlive?.(owner)).toBe(false);
      expect(await store.get(owner)).toBeUndefined();
      if (target.separateInstancesShare) expect(await (await open(namespace)).isAlive?.(owner)).toBe(true);
    });

    it('rejects a non-integer TTL, and both operations after close with STORE_UNAVAILABLE', async () => {
      const store = await target.open(uniqueNamespace());
      await expect(store.markAlive?.(randomUUID(), 1.5)).rejects.toThrow(RangeError);
      await store.close();
      await expect(store.markAlive?.(randomUUID(), 1000)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', operation: 'markAlive' });
      await expect(store.isAlive?.(randomUUID())).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', operation: 'isAlive' });
    });
  });
}
