/**
 * Child processes a test file started, so that none outlives it: a test that fails or times
 * out before it kills its workers (or a server it spawned) would leave them running, and a
 * worker left polling a store skews every test and benchmark after it on a machine of two
 * cores. `test/support/kill-leftover-children.ts` SIGKILLs what is left after each file.
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();

/** Notes `child` as this file's until it exits; returns it. */
export function tracked<T extends ChildProcess>(child: T): T {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** SIGKILLs every noted child still running that no test signalled; returns how many there were. */
export function killLeftoverChildren(): number {
  // A child a test killed (`killed`) may not have exited yet: it is not left over.
  const left = [...live].filter((child) => child.exitCode === null && child.signalCode === null && !child.killed);
  for (const child of left) child.kill('SIGKILL');
  live.clear();
  return left.length;
}
