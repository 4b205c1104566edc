import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { killLeftoverChildren, tracked } from './support/child-processes.js';

describe('children a test file leaves running', () => {
  it('are SIGKILLed by killLeftoverChildren (the setup file calls it after every file); those already gone or already killed by their test are not counted', async () => {
    const done = tracked(spawn(process.execPath, ['-e', '']));
    await once(done, 'exit');
    // Killed by its test but not yet gone: not counted, and left to exit.
    tracked(spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })).kill('SIGKILL');
    const left = tracked(spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }));
    const exited = once(left, 'exit');
    expect(killLeftoverChildren()).toBe(1);
    const [code, signal] = await exited;
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' });
    expect(killLeftoverChildren()).toBe(0);
  });
});
