import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { DataSource } from 'typeorm';
import { AppModule } from '../src/app.module.js';
import { CompaniesService } from '../src/companies/companies.service.js';
import { MetricsService } from '../src/metrics/metrics.service.js';
import { parseConfig } from '../src/config/config.schema.js';
import { DirectoryService } from '../src/directory/directory.service.js';
import { SyncService } from '../src/sync/sync.service.js';
import { benchServer } from './bench-server.js';

/**
 * npm run bench:sync [-- N [G M]]: N users (default 100,000; 200 a page) and G groups of M
 * members each (default 10,000 × 20 = 200,000 memberships; 1,000 a page) from a fake Okta in
 * its own process, synced into a fresh database four times: a first sync, a full re-sync of
 * the unchanged directory, then with 100 people changed since the last cycle an incremental
 * cycle (Okta's change feed), and with 100 others changed a full cycle. Each line gives the
 * run's time, the provider requests it made and the events it wrote (the outbox is part of
 * the measured work). A full cycle is forced by dating the last one a year back, as the
 * schedule (`fullSyncIntervalHours`) would. Uses DATABASE_URL's server when set, else an
 * embedded PostgreSQL in a temporary folder.
 */
const count = Number(process.argv[2] ?? 100_000);
const groups = Number(process.argv[3] ?? 10_000);
const membersPerGroup = Number(process.argv[4] ?? 20);

const okta = spawn(
  process.execPath,
  ['dist/test/fakes/fake-okta-process.js', String(count), String(groups), String(membersPerGroup)],
  { stdio: ['pipe', 'pipe', 'inherit'] },
);
const [firstLine] = (await once(okta.stdout, 'data')) as [Buffer];
const oktaUrl = firstLine.toString().trim();

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
try {
  const { company } = await app.get(CompaniesService).create('Bench');
  const connection = await app.get(DirectoryService).create(company.id, {
    name: 'Okta',
    type: 'okta',
    config: { orgUrl: oktaUrl, apiToken: 'bench-token' },
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
  /** Okta changes `k` people (a new title, `lastUpdated` now). */
  const change = async (k: number) => {
    okta.stdin.write(`change ${k}\n`);
    await once(okta.stdout, 'data');
  };
  /** The last full cycle a year ago: the next run is a scheduled full cycle. */
  const dueForFull = () =>
    db.query(
      `UPDATE sync_cursor SET full_sync_at = now() - interval '1 year' WHERE connection_id = $1`,
      [connection.id],
    );
  const runs: [label: string, before: () => Promise<unknown>][] = [
    ['first sync', async () => {}],
    ['re-sync (no change)', dueForFull],
    ['100 changed, incremental', () => change(100)],
    ['100 changed, full', () => change(100).then(dueForFull)],
  ];
  for (const [label, before] of runs) {
    await before();
    const [eventsBefore, requestsBefore] = [await events(), await requests()];
    const started = process.hrtime.bigint();
    const stats = await app
      .get(SyncService)
      .syncConnection(company.id, connection.id, new AbortController().signal);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const peakMb = process.resourceUsage().maxRSS / 1024;
    console.log(
      `sync: ${count} users, ${groups} groups × ${membersPerGroup} members in ` +
        `${seconds.toFixed(2)} s, ${(await requests()) - requestsBefore} provider requests, ` +
        `peak RSS ${peakMb.toFixed(0)} MB — ${label}: ${JSON.stringify(stats)}, ` +
        `${(await events()) - eventsBefore} events`,
    );
  }
} finally {
  await app.close();
  await database.drop();
  okta.kill('SIGTERM');
  await server.stop();
}
