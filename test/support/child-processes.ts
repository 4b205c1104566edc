/**
 * Child processes a test file started, so that none outlives it: a test that fails or times
 * out before it kills its workers (or a server it spawned) would leave them running, and a
 * worker left polling a store skews every test and benchmark after it on a machine of two
 * cores. `test/support/kill-leftover-children.ts` SIGKILLs what is left after each file.
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
// Children a test sent SIGKILL (not yet reaped, perhaps): not left over. Node's own `killed`
// is set by any signal, SIGSTOP and SIGCONT too, so it cannot tell.
const sigkilled = new WeakSet<ChildProcess>();

/** Notes `child` as this file's until it exits; returns it. */
export function tracked<T extends ChildProcess>(child: T): T {
  live.add(child);
  child.once('exit', () => live.delete(child));
  const kill = child.kill.bind(child);
  child.kill = (signal?: NodeJS.Signals | number): boolean => {
    if (signal === 'SIGKILL' || signal === 9) sigkilled.add(child);
    return kill(signal);
  };
  return child;
}

/** SIGKILLs every noted child still running; returns how many no test had SIGKILLed itself. */
export function killLeftoverChildren(): number {
  const running = [...live].filter((child) => child.exitCode === null && child.signalCode === null);
  const left = running.filter((child) => !sigkilled.has(child));
  for (const child of running) child.kill('SIGKILL');
  live.clear();
  return left.length;
}
