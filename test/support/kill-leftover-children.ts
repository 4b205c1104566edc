/** Setup file (vitest.config.ts): after each test file, SIGKILLs the children it left running (see child-processes.ts). */
import { afterAll } from 'vitest';
import { killLeftoverChildren } from './child-processes.js';

afterAll(() => {
  const left = killLeftoverChildren();
  if (left > 0) console.warn(`killed ${left} child process(es) this test file left running`);
});
