import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp } from '../src/app.factory.js';
import { AppModule } from '../src/app.module.js';
import { parseConfig } from '../src/config/config.schema.js';
import { createRootLogger } from '../src/logging/logger.js';
import type { JobHandler } from '../src/queue/job-handler.js';
import { JobQueue } from '../src/queue/job-queue.js';
import { JobRegistry } from '../src/queue/job-registry.js';
import { QueueModule } from '../src/queue/queue.module.js';
import { QueueWorker } from '../src/scheduler/queue-worker.service.js';
import {
  createCompany,
  PLATFORM_TOKEN,
  startTestApp,
  TEST_ENCRYPTION_KEY,
  type TestApp,
  type TestCompany,
} from './support/test-app.js';

/** The generic queue with kinds of the tests' own, registered next to `sync`. */
let t: TestApp;
let queue: JobQueue;
let registry: JobRegistry;
let worker: QueueWorker;
let acme: TestCompany;
let globex: TestCompany;

function testKind(
  kind: string,
  options: { concurrency?: number; run?: JobHandler['run'] } = {},
): JobHandler {
  return {
    kind,
    settings: { concurrency: options.concurrency ?? 4, leaseMs: 10_000, backoffMs: () => 10 },
    run: options.run ?? (() => Promise.resolve({ ok: true })),
    verdict: (error) => ({ message: String(error), retryable: true, errorClass: 'other' }),
  };
}

const job = (company: TestCompany, dedupeKey: string | null = null) => ({
  companyId: company.id,
  dedupeKey,
  payload: {},
  trigger: 'manual' as const,
  maxAttempts: 1,
});

const appConfig = (env: Record<string, string> = {}) =>
  parseConfig({
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    PLATFORM_ADMIN_TOKEN: PLATFORM_TOKEN,
    DATA_DIR: '/nonexistent/directory-sync-tests',
    LOG_LEVEL: 'warn',
    ROLE: 'api',
    ...env,
  });

beforeAll(async () => {
  t = await startTestApp();
  queue = t.app.get(JobQueue);
  registry = t.app.get(JobRegistry);
  worker = t.app.get(QueueWorker);
  acme = await createCompany(t, 'Acme');
  globex = await createCompany(t, 'Globex');
});
afterAll(async () => {
  await t.close();
});

describe('the registry', () => {
  it('reports at boot a kind waiting in the table that no handler here runs', async () => {
    const [mystery] = await queue.enqueueMany('mystery', [job(acme)]);
    let logs = '';
    const log = createRootLogger({
      level: 'warn',
      pretty: false,
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          logs += chunk.toString();
          done();
        },
      }),
    });
    const other = await createApp(appConfig(), t.db.url, { log });
    await other.init();
    await other.close();
    const warnings = logs
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(warnings).toContain(
      'jobs of kind "mystery" wait in the queue but no handler for them is registered in ' +
        'this process; they wait for a worker that has one',
    );
    await t.db.query(`UPDATE job SET status = 'CANCELLED' WHERE id = $1`, [mystery.id]);
  });

  it('refuses to start with two handlers for one kind', async () => {
    @Injectable()
    class SecondSyncHandler implements OnModuleInit {
      constructor(private readonly jobs: JobRegistry) {}
      onModuleInit(): void {
        this.jobs.register(testKind('sync'));
      }
    }
    @Module({ imports: [QueueModule], providers: [SecondSyncHandler] })
    class SecondSyncModule {}
    @Module({ imports: [AppModule.forRoot(appConfig(), t.db.url), SecondSyncModule] })
    class Wired {}

    await expect(
      NestFactory.createApplicationContext(Wired, { logger: false, abortOnError: false }),
    ).rejects.toThrow('two handlers are registered for job kind "sync"');
    expect(() => registry.register(testKind('sync'))).toThrow(/two handlers/);
  });
});

describe('claims', () => {
  it('take up to N due jobs in one statement', async () => {
    await queue.enqueueMany(
      'claims',
      Array.from({ length: 20 }, () => job(acme)),
    );
    const claimed = await queue.claim('claims', 'worker-a', 8, 10_000);
    expect(claimed).toHaveLength(8);
    // One statement: one transaction, so one now() for all of them.
    expect(new Set(claimed.map((j) => j.startedAt!.getTime())).size).toBe(1);
    expect(claimed.every((j) => j.status === 'RUNNING' && j.lockedBy === 'worker-a')).toBe(true);
    expect(await queue.claim('claims', 'worker-b', 100, 10_000)).toHaveLength(12);
  });

  it('fill the worker’s free slots at once, and successes finishing together are written together', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const started: string[] = [];
    registry.register(
      testKind('slots', {
        concurrency: 5,
        run: async (claimed) => {
          started.push(claimed.id);
          await gate;
          return { done: true };
        },
      }),
    );
    await queue.enqueueMany(
      'slots',
      Array.from({ length: 12 }, () => job(acme)),
    );
    const draining = worker.drain();
    while (started.length < 5) await sleep(5);
    const running = await t.db.query<{ n: number; starts: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT started_at)::int AS starts
         FROM job WHERE kind = 'slots' AND status = 'RUNNING'`,
    );
    expect(running).toEqual([{ n: 5, starts: 1 }]);
    open();
    await draining;
    const done = await t.db.query<{ n: number; writes: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT finished_at)::int AS writes
         FROM job WHERE kind = 'slots' AND status = 'SUCCEEDED' AND id = ANY($1)`,
      [started.slice(0, 5)],
    );
    expect(done).toEqual([{ n: 5, writes: 1 }]);
    const [{ left }] = await t.db.query<{ left: number }>(
      `SELECT count(*)::int AS left FROM job WHERE kind = 'slots' AND status <> 'SUCCEEDED'`,
    );
    expect(left).toBe(0);
  });
});

describe('fairness between companies', () => {
  it('one company’s 10,000 due jobs do not make another’s single job wait behind them', async () => {
    const backlog = await queue.enqueueMany(
      'fair',
      Array.from({ length: 10_000 }, () => job(acme)),
    );
    expect(backlog).toHaveLength(10_000);
    const { job: single } = await queue.enqueue({ kind: 'fair', ...job(globex) });
    const claimed = await queue.claim('fair', 'worker-a', 2, 10_000);
    expect(claimed.map((j) => j.companyId).sort()).toEqual([acme.id, globex.id].sort());
    expect(claimed.map((j) => j.id)).toContain(single.id);
  });

  it('interleaves companies that enqueue one job at a time', async () => {
    for (let i = 0; i < 4; i++) await queue.enqueue({ kind: 'turns', ...job(acme) });
    const { job: late } = await queue.enqueue({ kind: 'turns', ...job(globex) });
    const order: string[] = [];
    for (let i = 0; i < 5; i++) {
      const [next] = await queue.claim('turns', 'worker-a', 1, 10_000);
      order.push(next.companyId === globex.id ? 'globex' : 'acme');
      if (next.id === late.id) break;
    }
    expect(order).toEqual(['acme', 'globex']);
  });
});

describe('a bound per concurrency key', () => {
  const keyed = (company: TestCompany, concurrencyKey: string) => ({
    ...job(company),
    concurrencyKey,
  });

  it('never runs more than the bound of one key, and claims the other keys meanwhile', async () => {
    await queue.enqueueMany('bounded', [
      ...Array.from({ length: 20 }, () => keyed(acme, 'slow')),
      ...Array.from({ length: 3 }, () => keyed(acme, 'quick')),
    ]);
    const first = await queue.claim('bounded', 'worker-a', 50, 10_000, 2);
    const keysOf = (jobs: { concurrencyKey: string | null }[]) =>
      jobs.map((j) => j.concurrencyKey).sort();
    expect(keysOf(first)).toEqual(['quick', 'quick', 'slow', 'slow']);
    // Counting those already running, on any worker: both keys are full.
    expect(await queue.claim('bounded', 'worker-b', 50, 10_000, 2)).toEqual([]);
    const slow = first.filter((j) => j.concurrencyKey === 'slow');
    await queue.complete('bounded', 'worker-a', [{ id: slow[0].id, result: null }]);
    expect(keysOf(await queue.claim('bounded', 'worker-b', 50, 10_000, 2))).toEqual(['slow']);
  });

  it('takes turns between keys: one key’s backlog does not stand in front of another’s', async () => {
    await queue.enqueueMany(
      'key-turns',
      Array.from({ length: 1000 }, () => keyed(acme, 'busy')),
    );
    const [late] = await queue.enqueueMany('key-turns', [keyed(acme, 'late')]);
    const claimed = await queue.claim('key-turns', 'worker-a', 2, 10_000, 10);
    expect(claimed.map((j) => j.id)).toContain(late.id);
  });
});

describe('coalescing, for any kind with a dedupe key', () => {
  it('keeps one waiting and one running job per key', async () => {
    const first = await queue.enqueue({ kind: 'keyed', ...job(acme, 'k1') });
    const again = await queue.enqueue({ kind: 'keyed', ...job(acme, 'k1') });
    expect(again).toMatchObject({ deduplicated: true, job: { id: first.job.id } });
    const other = await queue.enqueue({ kind: 'keyed', ...job(acme, 'k2') });
    expect(other.deduplicated).toBe(false);

    const claimed = await queue.claim('keyed', 'worker-a', 10, 10_000);
    expect(claimed.map((j) => j.id).sort()).toEqual([first.job.id, other.job.id].sort());
    const followUp = await queue.enqueue({ kind: 'keyed', ...job(acme, 'k1') });
    expect(followUp.deduplicated).toBe(false);
    // The follow-up waits while its key runs.
    expect(await queue.claim('keyed', 'worker-b', 10, 10_000)).toEqual([]);
    await queue.complete('keyed', 'worker-a', [{ id: first.job.id, result: null }]);
    expect((await queue.claim('keyed', 'worker-b', 10, 10_000)).map((j) => j.id)).toEqual([
      followUp.job.id,
    ]);
  });
});
