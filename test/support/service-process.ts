import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TEST_ENCRYPTION_KEY } from './test-app.js';

export interface ServiceProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  exited: Promise<number | string>;
  /** Waits (bounded) until the output contains `text`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
}

/**
 * A real service process from the build (`dist/main.js` or `dist/worker.js`), with only the
 * environment given here plus the test encryption key: nothing leaks in from the test run.
 */
export function startServiceProcess(
  entry: 'main' | 'worker',
  env: Record<string, string>,
): ServiceProcess {
  const child = spawn(process.execPath, [resolve(`dist/${entry}.js`)], {
    env: {
      PATH: process.env.PATH ?? '',
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      LOG_LEVEL: 'log',
      DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').then(
    ([code, signal]) => (code as number | null) ?? (signal as string),
  );
  return {
    child,
    output: () => output,
    exited,
    async waitFor(text, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!output.includes(text)) {
        if (child.exitCode !== null) throw new Error(`process exited:\n${output}`);
        if (Date.now() > deadline)
          throw new Error(`"${text}" not seen within ${timeoutMs} ms:\n${output}`);
        await sleep(20);
      }
    },
  };
}

/** Polls `check` every 20 ms until it returns true (bounded). */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await sleep(20);
  }
}
