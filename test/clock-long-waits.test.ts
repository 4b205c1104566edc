/**
 * Waits longer than a timer can hold (2**31 - 1 ms, about 24.8 days): Node clamps a longer
 * setTimeout delay to 1 ms, with a TimeoutOverflowWarning, so a 30-day wait would end at once.
 * The clock's `sleep` and `realTimeoutSignal` must take the whole wait, stay abortable, and keep
 * their timers unref'd where they were. Fake timers stand in for the 30 days (they clamp an
 * overflowing delay to 1 ms too, silently); the warning and the process exit are checked on
 * real timers.
 */
import { spawn } from 'node:child_process';
import { tracked } from './support/child-processes.js';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { realTimeoutSignal, systemClock } from '../src/index.js';

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;
const THIRTY_DAYS = 30 * DAY;

afterEach(() => {
  vi.useRealTimers();
});

describe('systemClock.sleep of 30 days (fake timers)', () => {
  it('has not resolved after 1 s, 1 hour and 24.9 days, and resolves at 30 days', async () => {
    vi.useFakeTimers();
    let resolved = false;
    const sleeping = systemClock.sleep(THIRTY_DAYS).then(() => {
      resolved = true;
    });
    await vi.advanceTimersByTimeAsync(SECOND);
    expect(resolved).toBe(false);
    await vi.advanceTimersByTimeAsync(HOUR - SECOND);
    expect(resolved).toBe(false);
    await vi.advanceTimersByTimeAsync(24.9 * DAY - HOUR);
    expect(resolved).toBe(false);
    await vi.advanceTimersByTimeAsync(THIRTY_DAYS - 24.9 * DAY - 1);
    expect(resolved).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await sleeping;
    expect(resolved).toBe(true);
  });

  it('rejects with the abort reason when aborted after the first 24.8-day timer', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const sleeping = systemClock.sleep(THIRTY_DAYS, controller.signal);
    sleeping.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(25 * DAY);
    const reason = new Error('stop waiting');
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('realTimeoutSignal of 30 days (fake timers)', () => {
  it.each([
    ['without an until signal', false],
    ['with an until signal', true],
  ])('%s: not aborted after 1 s, 1 hour and 24.9 days, aborted with a TimeoutError at 30 days', async (_name, withUntil) => {
    vi.useFakeTimers();
    const signal = realTimeoutSignal(THIRTY_DAYS, withUntil ? new AbortController().signal : undefined);
    await vi.advanceTimersByTimeAsync(SECOND);
    expect(signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(HOUR - SECOND);
    expect(signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(24.9 * DAY - HOUR);
    expect(signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(THIRTY_DAYS - 24.9 * DAY - 1);
    expect(signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('releases every timer of the chain when until aborts after the first 24.8-day timer', async () => {
    vi.useFakeTimers();
    const until = new AbortController();
    const signal = realTimeoutSignal(THIRTY_DAYS, until.signal);
    await vi.advanceTimersByTimeAsync(25 * DAY);
    until.abort();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10 * DAY);
    expect(signal.aborted).toBe(false);
  });

  it('arms no timer at all for Infinity, and never aborts', async () => {
    vi.useFakeTimers();
    const signal = realTimeoutSignal(Number.POSITIVE_INFINITY, new AbortController().signal);
    const bare = realTimeoutSignal(Number.POSITIVE_INFINITY);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(365 * DAY);
    expect(signal.aborted).toBe(false);
    expect(bare.aborted).toBe(false);
  });
});

describe('30-day waits on real timers', () => {
  it('emit no TimeoutOverflowWarning and have neither resolved nor aborted after 50 ms', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning.name);
    };
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      let slept = false;
      const sleeping = systemClock.sleep(THIRTY_DAYS, controller.signal).then(() => {
        slept = true;
      });
      sleeping.catch(() => undefined);
      const bare = realTimeoutSignal(THIRTY_DAYS);
      const bounded = realTimeoutSignal(THIRTY_DAYS, controller.signal);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(slept).toBe(false);
      expect(bare.aborted).toBe(false);
      expect(bounded.aborted).toBe(false);
      controller.abort(new Error('done'));
      await expect(sleeping).rejects.toThrow('done');
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((name) => name === 'TimeoutOverflowWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a process holding only 30-day realTimeoutSignals exits at once (their timers are unref\'d)', async () => {
    const clock = fileURLToPath(new URL('../src/core/clock.ts', import.meta.url));
    const script = `const { realTimeoutSignal } = await import(${JSON.stringify(clock)}); realTimeoutSignal(${String(THIRTY_DAYS)}); realTimeoutSignal(${String(THIRTY_DAYS)}, new AbortController().signal);`;
    const started = Date.now();
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = tracked(spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'ignore' }));
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.on('error', reject);
      child.on('exit', (exitCode) => {
        clearTimeout(killer);
        resolve(exitCode);
      });
    });
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
