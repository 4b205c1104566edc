import { afterAll, afterEach, beforeAll } from 'vitest';
import { startFulfillment, type FulfillmentEmulator } from '../emulator/fulfillment.js';

/**
 * One fulfillment emulator for the calling test file: started before its tests, closed after,
 * its faults and request log cleared between tests. The returned object forwards to the emulator
 * once it runs, so it can be a module-level `const` read inside the tests.
 */
export function fulfillmentPerFile(): FulfillmentEmulator {
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
      if (api === undefined) throw new Error('the emulator runs only inside the tests of this file');
      const value: unknown = Reflect.get(api, key);
      return typeof value === 'function' ? value.bind(api) : value;
    },
  });
}
