import { afterAll, afterEach, beforeAll } from 'vitest';
import { startFulfillment, type FulfillmentEmulator } from '../emulator/fulfillment.js';

/**
 * One fulfillment emulator for the calling suite (a test file, or the `describe` block it is
 * called in): started before its tests, closed after, its faults and request log cleared between
 * tests. The returned object forwards to the emulator once it runs, so it can be a `const` read
 * inside the tests.
 */
export function fulfillmentForSuite(): FulfillmentEmulator {
  let api: FulfillmentEmulator | undefined;
  beforeAll(async () => {
    api = await startFulfillment();
  });
  afterAll(() => api?.close());
  afterEach(() => {
    api?.faults.clear();
    if (api) api.requests.length = 0;
  });
  return new Proxy({} as FulfillmentEmulator, {
    get(_, key) {
      if (api === undefined) throw new Error('the emulator runs only inside the tests of its suite');
      const value: unknown = Reflect.get(api, key);
      return typeof value === 'function' ? value.bind(api) : value;
    },
  });
}
