import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import type { DataSource } from 'typeorm';
import { AppModule } from '../src/app.module.js';
import { CompaniesService } from '../src/companies/companies.service.js';
import { parseConfig } from '../src/config/config.schema.js';
import { MetricsService } from '../src/metrics/metrics.service.js';
import { ProviderRegistry } from '../src/directory/providers/provider-registry.js';
import { DirectoryService } from '../src/directory/directory.service.js';
import { SyncService } from '../src/sync/sync.service.js';
import { benchServer } from './bench-server.js';
import { CpuMeter, describeCpu, type CpuSpent } from './cpu-meter.js';

/**
 * npm run bench:sync [-- N [G M]]: N users (default 100,000; 200 a page) and G groups of M
 * members each (default none; 1,000 a page) from a fake Okta in its own process. In one run:
 * the fetch alone (every page requested and parsed, nothing written: the floor), then the
 * real sync into a fresh database:
 * the first sync, a re-sync with no change; with 100 people changed since the last cycle, an
 * incremental cycle (Okta's change feed), and with 100 others changed, a full one; then a
 * re-sync after every user's last name changed; each with its time as a multiple of the floor,
 * its provider requests, stage timings and the events it wrote; then the fetch
 * alone again (the floor is the faster of the two). Each line also gives the CPU time it took,
 * by party: this process, the fake's, and the PostgreSQL server's when it runs on this machine.
 * A full cycle is forced by dating the last
 * one a year back, as the schedule (`fullSyncIntervalHours`) would. Peak RSS is this
 * process's: the service side. Uses DATABASE_URL's server when set, else an embedded
 * PostgreSQL in a temporary folder.
 */
const count = Number(process.argv[2] ?? 100_000);
const groups = Number(process.argv[3] ?? 0);
const membersPerGroup = Number(process.argv[4] ?? 0);

const okta = spawn(
  process.execPath,
  ['dist/test/fakes/fake-okta-process.js', String(count), String(groups), String(membersPerGroup)],
  { stdio: ['pipe', 'pipe', 'inherit'] },
);
const oktaLines = createInterface({ input: okta.stdout })[Symbol.asyncIterator]();
const oktaSays = async () => String((await oktaLines.next()).value).trim();
const oktaUrl = await oktaSays();

const server = await benchServer();
const database = await server.createDatabase();

const config = parseConfig({
  ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
  DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true',
  LOG_LEVEL: 'error',
  ROLE: 'api',
});
const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, database.url), {
  logger: ['error'],
});
// What the service holds before it syncs anything: the floor under the peak.
const startupMb = process.memoryUsage().rss / 2 ** 20;
const meter = new CpuMeter(server.admin, okta.pid);
const seconds = async (work: () => Promise<unknown>) => {
  let time = 0;
  const cpu = await meter.measure(async () => {
    const started = process.hrtime.bigint();
    await work();
    time = Number(process.hrtime.bigint() - started) / 1e9;
  });
  return { time, cpu };
};
try {
  const { company } = await app.get(CompaniesService).create('Bench');
  const connection = await app.get(DirectoryService).create(company.id, {
    name: 'Okta',
    type: 'okta',
    config: { orgUrl: oktaUrl, apiToken: 'bench-token' },
  });
  const target = await app.get(DirectoryService).loadForSync(company.id, connection.id);
  const fetchOnly = () =>
    seconds(async () => {
      const pages = app.get(ProviderRegistry).get('okta').pages(target.config, signal());
      for await (const page of pages) if (!Array.isArray(page)) throw new Error('not a page');
    });
  const db = app.get<DataSource>(getDataSourceToken());
  const events = async () => {
    const [{ n }] = await db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM event WHERE company_id = $1`,
      [company.id],
    );
    return n;
  };
  const requests = async () => {
    const { values } = await app.get(MetricsService).providerRequests.get();
    return values.reduce((sum, { value }) => sum + value, 0);
  };
  /** Tells the fake to change the directory, and waits until it has. */
  const tell = async (command: string, answer: string) => {
    okta.stdin.write(`${command}\n`);
    if ((await oktaSays()) !== answer) throw new Error(`the fake did not answer ${command}`);
  };
  /** The last full cycle a year ago: the next run is a scheduled full cycle. */
  const dueForFull = () =>
    db.query(
      `UPDATE sync_cursor SET full_sync_at = now() - interval '1 year' WHERE connection_id = $1`,
      [connection.id],
    );
  // Aims: the most each run may take, as a multiple of the floor (issue 17).
  const plan: [label: string, before: () => Promise<unknown>, aim?: number][] = [
    ['first sync', async () => {}, 1.5],
    ['re-sync (no change)', dueForFull, 1.2],
    ['100 changed, incremental', () => tell('change 100', 'changed')],
    ['100 changed, full', () => tell('change 100', 'changed').then(dueForFull)],
    // Last: everyone's lastUpdated is now recent, so an incremental cycle after this one
    // would find all 100,000 in Okta's change feed (more than its search returns: a full one).
    ['re-sync (all changed)', () => tell('rename', 'renamed').then(dueForFull), 1.5],
  ];
  const fetchBefore = await fetchOnly();
  const runs: { label: string; seconds: number; aim?: number; cpu: CpuSpent; line: string }[] = [];
  for (const [label, before, aim] of plan) {
    await before();
    const [eventsBefore, requestsBefore] = [await events(), await requests()];
    let stats = {};
    const { time, cpu } = await seconds(async () => {
      stats = await app.get(SyncService).syncConnection(company.id, connection.id, signal());
    });
    const line =
      `${(await requests()) - requestsBefore} provider requests, ` +
      `${(await events()) - eventsBefore} events — ${JSON.stringify(stats)}`;
    runs.push({ label, seconds: time, aim, cpu, line });
  }
  const fetchAfter = await fetchOnly();
  const fetchFloor = fetchBefore.time <= fetchAfter.time ? fetchBefore : fetchAfter;
  const floor = fetchFloor.time;
  const peakMb = process.resourceUsage().maxRSS / 1024;
  console.log(
    `sync bench: ${count} users, ${groups} groups × ${membersPerGroup} members, ` +
      `${server.origin} PostgreSQL, ${availableParallelism()} cores`,
  );
  console.log(
    `fetch only: ${fetchBefore.time.toFixed(2)} s before, ${fetchAfter.time.toFixed(2)} s after ` +
      `(floor ${floor.toFixed(2)} s; CPU ${describeCpu(fetchFloor.cpu)})`,
  );
  for (const run of runs) {
    const times = run.seconds / floor;
    const aim =
      run.aim === undefined ? '' : ` (aim ≤ ${run.aim}x: ${times <= run.aim ? 'met' : 'not met'})`;
    console.log(
      `${run.label}: ${run.seconds.toFixed(2)} s, ${times.toFixed(2)}x fetch only${aim}, ` +
        `CPU ${describeCpu(run.cpu)}, ${run.line}`,
    );
  }
  console.log(
    `peak RSS ${peakMb.toFixed(0)} MB (${startupMb.toFixed(0)} MB after start-up; ` +
      `aim ≤ 200 MB: ${peakMb <= 200 ? 'met' : 'not met'})`,
  );
} finally {
  await app.close();
  await database.drop();
  okta.kill('SIGTERM');
  await server.stop();
}

function signal(): AbortSignal {
  return new AbortController().signal;
}
