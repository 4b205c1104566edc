/**
 * Runs a worker script in a child process (through tsx) and SIGKILLs it once `due()` says so,
 * polled every few milliseconds: the crash tests' way to kill a worker at a chosen moment of its
 * call. Resolves when the worker died of the kill; rejects if it exited on its own first.
 */
import { spawn } from 'node:child_process';
import { tracked } from './child-processes.js';

/** Runs `script` with `env` and kills it with SIGKILL as soon as `due()` returns true. */
export function killWorkerWhen(script: string, env: Record<string, string>, due: () => boolean, pollMs = 2): Promise<void> {
  return new Promise((resolve, reject) => {
    const proc = tracked(spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    let errors = '';
    proc.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const watch = setInterval(() => {
      if (due()) proc.kill('SIGKILL');
    }, pollMs);
    proc.once('error', reject);
    proc.once('exit', (code, signal) => {
      clearInterval(watch);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`worker exited with ${String(code)} before it was killed: ${errors.slice(0, 2000)}`));
    });
  });
}
