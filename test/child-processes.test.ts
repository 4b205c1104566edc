import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { killLeftoverChildren, tracked } from './support/child-processes.js';

describe('children a test file leaves running', () => {
  it('are SIGKILLed by killLeftoverChildren (the setup file calls it after every file); those already gone or SIGKILLed by their test are not counted, a stopped and woken one is', async () => {
    const done = tracked(spawn(process.execPath, ['-e', '']));
    await once(done, 'exit');
    // SIGKILLed by its test but not yet gone: not counted.
    tracked(spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })).kill('SIGKILL');
    const left = tracked(spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }));
    // Stopped and woken by its test (as the takeover tests do): left over all the same.
    const woken = tracked(spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }));
    woken.kill('SIGSTOP');
    woken.kill('SIGCONT');
    const exited = Promise.all([once(left, 'exit'), once(woken, 'exit')]);
    expect(killLeftoverChildren()).toBe(2);
    const ends = (await exited).map(([code, signal]) => ({ code, signal }));
    expect(ends).toEqual([{ code: null, signal: 'SIGKILL' }, { code: null, signal: 'SIGKILL' }]);
    expect(killLeftoverChildren()).toBe(0);
  });
});
