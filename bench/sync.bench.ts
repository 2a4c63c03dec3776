import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { DataSource } from 'typeorm';
import { AppModule } from '../src/app.module.js';
import { CompaniesService } from '../src/companies/companies.service.js';
import { parseConfig } from '../src/config/config.schema.js';
import { DirectoryService } from '../src/directory/directory.service.js';
import { SyncService } from '../src/sync/sync.service.js';
import { benchServer } from './bench-server.js';

/**
 * npm run bench:sync [-- N]: N users (default 100,000; 200 a page) from a fake Okta in its
 * own process, synced into a fresh database twice (first sync, then a no-change re-sync),
 * with the employee events each run wrote (the outbox is part of the measured work).
 * Uses DATABASE_URL's server when set, else an embedded PostgreSQL in a temporary folder.
 */
const count = Number(process.argv[2] ?? 100_000);

const okta = spawn(process.execPath, ['dist/test/fakes/fake-okta-process.js', String(count)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
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
  const events = async () => {
    const [{ n }] = await app
      .get<DataSource>(getDataSourceToken())
      .query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM event WHERE company_id = $1 AND type LIKE 'employee.%'`,
        [company.id],
      );
    return n;
  };
  for (const label of ['first sync', 're-sync (no change)']) {
    const eventsBefore = await events();
    const started = process.hrtime.bigint();
    const stats = await app
      .get(SyncService)
      .syncConnection(company.id, connection.id, new AbortController().signal);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const peakMb = process.resourceUsage().maxRSS / 1024;
    console.log(
      `sync: ${count} users in ${seconds.toFixed(2)} s (${Math.round(count / seconds)} rows/s), ` +
        `peak RSS ${peakMb.toFixed(0)} MB — ${label}: ${JSON.stringify(stats)}, ` +
        `${(await events()) - eventsBefore} employee events`,
    );
  }
} finally {
  await app.close();
  await database.drop();
  okta.kill('SIGTERM');
  await server.stop();
}
