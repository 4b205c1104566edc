import { describe, expect, it } from 'vitest';
import { createManualClock } from '../src/core/clock.js';
import { BoundedMap } from '../src/store/bounded-map.js';
import { memoryStore } from '../src/store/memory-store.js';
import { isRequestRecord } from '../src/store/record.js';
import { maskStoreUrl, urlSecrets } from '../src/store/backend-call.js';
import { StoreUnavailableError, isStoreUnavailableError } from '../src/store/store-unavailable-error.js';
import { describeStoreContract, makeRecord } from './support/store-contract.js';

const day = 86_400_000;

describeStoreContract('memory', { open: (namespace) => memoryStore({ namespace }), separateInstancesShare: false });

describe('memoryStore', () => {
  it('keeps at most maxEntries records, evicting the least recently used', async () => {
    const store = memoryStore({ maxEntries: 3 });
    for (const scope of ['a', 'b', 'c']) await store.claim(makeRecord(scope), day);
    await store.get('a'); // a is now more recent than b
    await store.claim(makeRecord('d'), day);
    expect(await store.get('b')).toBeUndefined();
    for (const scope of ['a', 'c', 'd']) expect(await store.get(scope)).toBeDefined();
  });

  it('evicts expired records before live ones when full', async () => {
    const clock = createManualClock(Date.now());
    const store = memoryStore({ maxEntries: 3, clock });
    await store.claim(makeRecord('old-live'), day);
    await store.claim(makeRecord('short'), 1000);
    await store.claim(makeRecord('live'), day);
    clock.advance(1001);
    await store.claim(makeRecord('new'), day);
    expect(await store.get('old-live')).toBeDefined();
    expect(await store.get('live')).toBeDefined();
    expect(await store.get('new')).toBeDefined();
  });

  it('judges expiry on the injected clock in claim and get', async () => {
    const clock = createManualClock(Date.now());
    const store = memoryStore({ clock });
    await store.claim(makeRecord('s', { owner: 'first' }), 5000);
    clock.advance(4999);
    expect(await store.claim(makeRecord('s', { owner: 'second' }), 5000)).toMatchObject({ claimed: false });
    clock.advance(1);
    expect(await store.get('s')).toBeUndefined();
    expect(await store.claim(makeRecord('s', { owner: 'third' }), 5000)).toEqual({ claimed: true });
    expect((await store.get('s'))?.owner).toBe('third');
  });

  it('stays atomic when hundreds of claims race on a tiny bound', async () => {
    const store = memoryStore({ maxEntries: 2 });
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => store.claim(makeRecord('hot', { owner: `w${i}` }), day)));
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
  });

  it('refuses a foreign value written into its namespace', async () => {
    const store = memoryStore();
    await store.keyv.set('foreign', { hello: 'world' });
    await expect(store.claim(makeRecord('foreign'), day)).rejects.toThrow(/not a surefetch request record/);
    await expect(store.get('foreign')).rejects.toThrow(TypeError);
  });

  it('rejects a non-positive maxEntries', () => {
    expect(() => memoryStore({ maxEntries: 0 })).toThrow(RangeError);
  });
});

describe('BoundedMap', () => {
  it('hides an entry once its TTL has passed', () => {
    const clock = createManualClock(0);
    const map = new BoundedMap(10, clock);
    map.set('k', 'v', 100);
    expect(map.get('k')).toBe('v');
    clock.advance(100);
    expect(map.get('k')).toBeUndefined();
    expect(map.has('k')).toBe(false);
    expect(map.size).toBe(0);
  });
});

describe('isRequestRecord', () => {
  it.each([
    ['a full record', makeRecord('x'), true],
    ['null', null, false],
    ['an unknown state', { ...makeRecord('x'), state: 'done' }, false],
    ['a fractional version', { ...makeRecord('x'), version: 1.5 }, false],
    ['a missing owner', { ...makeRecord('x'), owner: undefined }, false],
  ])('recognizes %s', (_, value, expected) => {
    expect(isRequestRecord(value)).toBe(expected);
  });
});

describe('URL redaction', () => {
  it.each([
    ['redis://:hunter2@cache:6379', 'redis://:***@cache:6379'],
    ['postgresql://app:p%40ss@db:5432/x', 'postgresql://app:***@db:5432/x'],
    ['redis://cache:6379', 'redis://cache:6379'],
    ['not a url :hunter2@', '<unparseable url>'],
  ])('%s → %s', (url, redacted) => {
    expect(maskStoreUrl(url)).toBe(redacted);
  });

  it('lists the raw and decoded password as secrets', () => {
    expect(urlSecrets('postgresql://app:p%40ss@db/x')).toEqual(['p%40ss', 'p@ss']);
    expect(urlSecrets('redis://cache')).toEqual([]);
  });
});

describe('StoreUnavailableError', () => {
  it('names the backend, operation and target, with a stable code', () => {
    const error = new StoreUnavailableError({ backend: 'redis', operation: 'claim', target: 'redis://:***@h:1', reason: 'refused' });
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', backend: 'redis', operation: 'claim', name: 'StoreUnavailableError' });
    expect(error.message).toBe('surefetch: the redis request store at redis://:***@h:1 could not claim: refused');
    expect(isStoreUnavailableError(error)).toBe(true);
    expect(isStoreUnavailableError(new Error('x'))).toBe(false);
  });
});
