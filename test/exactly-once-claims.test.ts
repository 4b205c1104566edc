/**
 * Two identical creates (same campaign, recipient and products, two job scopes) through one
 * store: each caller gets its own order, never the other's. A successful create claims the
 * order it answered with in the store; a match by fields another call claimed is not taken.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStore } from '../src/index.js';
import { client, closeAll, CREATE, ordersFor, posts, startApi } from './exactly-once-harness.js';

afterEach(closeAll);

describe('resource claims: identical creates of two calls', () => {
  it("recovers its own order when the other call's identical order is also in the window, instead of failing closed as twins", async () => {
    const { api, clock } = await startApi();
    const store = memoryStore();
    const { create } = client(api, clock, { store });
    const first = await create({ idempotencyScope: 'job-A:create-order' });
    const firstId = ((await first.json()) as { id: string }).id;
    api.faults.script(CREATE, { kind: 'commit-then-500' });
    const second = await create({ idempotencyScope: 'job-B:create-order' });
    const secondId = ((await second.json()) as { id: string }).id;
    expect(second.headers.get('x-surefetch-recovered')).toBe('lookup');
    expect(secondId).not.toBe(firstId);
    expect(ordersFor(api).map((order) => order.id).sort()).toEqual([firstId, secondId].sort());
    expect(posts(api)).toBe(2);
  });

  it("never hands one call the order another call was answered with, even when its own is not listed (yet)", async () => {
    const { api, clock } = await startApi();
    const store = memoryStore();
    const { create } = client(api, clock, { store });
    const first = await create({ idempotencyScope: 'job-A:create-order' });
    const firstId = ((await first.json()) as { id: string }).id;
    // B's first attempt is refused without committing, but answered as a maybe (500): the only
    // listed match is A's order, which A claimed when it was answered.
    api.faults.script(CREATE, { kind: 'reject-500' });
    const second = await create({ idempotencyScope: 'job-B:create-order' });
    const secondId = ((await second.json()) as { id: string }).id;
    expect(second.status).toBe(201);
    expect(second.headers.get('x-surefetch-recovered')).toBeNull();
    expect(secondId).not.toBe(firstId);
    expect(ordersFor(api)).toHaveLength(2);
    expect(posts(api)).toBe(3);
  });

  it('takes the listed order when no call of the store claimed it (the store kept no claim: another store)', async () => {
    const { api, clock } = await startApi();
    const { create: createA } = client(api, clock, { store: memoryStore() });
    const { create: createB } = client(api, clock, { store: memoryStore() });
    await createA({ idempotencyScope: 'job-A:create-order' });
    api.faults.script(CREATE, { kind: 'reject-500' });
    const second = await createB({ idempotencyScope: 'job-B:create-order' });
    // Without a shared store B cannot know the listed order is A's: it takes it (the documented
    // limit of matching by fields, which writeReference removes).
    expect(second.headers.get('x-surefetch-recovered')).toBe('lookup');
    expect(ordersFor(api)).toHaveLength(1);
  });
});
