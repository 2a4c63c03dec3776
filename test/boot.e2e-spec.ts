import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { TEST_ENCRYPTION_KEY } from './support/test-app.js';
import { freePort } from '../src/common/free-port.js';

/** `npm test` builds first (pretest): this is the real entry point `npm start` runs. */
const MAIN = resolve('dist/src/main.js');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Running {
  done: Promise<Exit>;
  kill(signal: NodeJS.Signals): void;
}

let db: TestDatabase;
let dataDir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'directory-sync-boot-'));
});
afterAll(async () => {
  await db.drop();
  await rm(dataDir, { recursive: true, force: true });
});

/** The service with only the variables given (plus PATH), never the parent's DATABASE_URL etc. */
function start(env: Record<string, string>): Running {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, LOG_LEVEL: 'log', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<Exit>((resolveExit, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolveExit({ code, signal, stdout, stderr }));
  });
  return { done, kill: (signal) => child.kill(signal) };
}

/** Waits for the process to exit, killing it if it outlives `ms` (so a hang fails, not stalls). */
async function exitWithin(running: Running, ms: number): Promise<Exit> {
  const timer = setTimeout(() => running.kill('SIGKILL'), ms);
  try {
    return await running.done;
  } finally {
    clearTimeout(timer);
  }
}

describe('a bad configuration stops the process with one line and exit code 1', () => {
  it.each([
    ['PORT', 'abc', 'PORT must be an integer between 1 and 65535'],
    ['ROLE', 'x', 'ROLE must be one of all, api, worker'],
    ['DATABASE_URL', 'mysql://x', 'DATABASE_URL must be a postgres:// or postgresql:// URL'],
  ])('%s=%s', async (name, value, message) => {
    const result = await exitWithin(
      start({ DATABASE_URL: db.url, ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, [name]: value }),
      15_000,
    );
    expect(result.code).toBe(1);
    const lines = result.stderr.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(message);
    expect(result.stderr).not.toContain('    at ');
    expect(result.stdout).not.toContain('    at ');
    // it stopped before anything started
    expect(result.stdout).not.toContain('listening');
  });

  it('reports every bad variable, one line each', async () => {
    const result = await exitWithin(
      start({ DATABASE_URL: db.url, PORT: '0', ROLE: 'x', NODE_ENV: 'production' }),
      15_000,
    );
    expect(result.code).toBe(1);
    const lines = result.stderr.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(3);
    expect(result.stderr).toContain('PORT must be an integer between 1 and 65535');
    expect(result.stderr).toContain('ROLE must be one of all, api, worker');
    expect(result.stderr).toContain('ENCRYPTION_KEY is required when NODE_ENV=production');
    expect(result.stderr).not.toContain('    at ');
  });
});

describe('a good configuration', () => {
  it('serves /health/live, then exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const running = start({
      DATABASE_URL: db.url,
      PORT: String(port),
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    });
    let exited: Exit | undefined;
    void running.done.then((exit) => (exited = exit));

    const deadline = Date.now() + 15_000;
    let status: number | undefined;
    while (Date.now() < deadline && exited === undefined) {
      try {
        status = (await fetch(`http://127.0.0.1:${port}/health/live`)).status;
        if (status === 200) break;
      } catch {
        // not listening yet
      }
      await new Promise((resolveDelay) => setTimeout(resolveDelay, 100));
    }
    if (status !== 200) {
      running.kill('SIGKILL');
      const exit = await running.done;
      throw new Error(`never became live (exit ${exit.code}):\n${exit.stdout}\n${exit.stderr}`);
    }

    // The dashboard comes with the service: the entry point `npm start` runs serves it.
    const ui = await fetch(`http://127.0.0.1:${port}/ui`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('<script type="module" src="/ui/app.js">');
    expect((await fetch(`http://127.0.0.1:${port}/ui/app.js`)).status).toBe(200);

    running.kill('SIGTERM');
    const result = await exitWithin(running, 15_000);
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`listening on :${port}`);
    expect(result.stdout).toContain('SIGTERM received, shutting down');
    expect(result.stderr).toBe('');
  }, 40_000);
});
