import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { DataSource } from 'typeorm';
import { AppModule } from '../src/app.module.js';
import { CompaniesService } from '../src/companies/companies.service.js';
import { parseConfig } from '../src/config/config.schema.js';
import { ProviderRegistry } from '../src/directory/providers/provider-registry.js';
import { DirectoryService } from '../src/directory/directory.service.js';
import { SyncService } from '../src/sync/sync.service.js';
import { benchServer } from './bench-server.js';

/**
 * npm run bench:sync [-- N [G M]]: N users (default 100,000; 200 a page) and G groups of M
 * members each (default none; 1,000 a page) from a fake Okta in its own process. In one run:
 * the fetch alone (every page requested and parsed, nothing written: the floor), then the
 * real sync into a fresh database three times — the first sync, a re-sync with no change,
 * and a re-sync after every user's last name changed — each with its time as a multiple of
 * the floor, its stage timings and the events it wrote; then the fetch alone again (the
 * floor is the faster of the two). Peak RSS is this process's: the service side.
 * Uses DATABASE_URL's server when set, else an embedded PostgreSQL in a temporary folder.
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
const seconds = async (work: () => Promise<unknown>) => {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e9;
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
  const events = async () => {
    const [{ n }] = await app
      .get<DataSource>(getDataSourceToken())
      .query<{ n: number }[]>(`SELECT count(*)::int AS n FROM event WHERE company_id = $1`, [
        company.id,
      ]);
    return n;
  };
  const fetchBefore = await fetchOnly();
  const runs: { label: string; seconds: number; line: string }[] = [];
  for (const label of ['first sync', 're-sync (no change)', 're-sync (all changed)']) {
    if (label === 're-sync (all changed)') {
      okta.stdin.write('rename\n');
      if ((await oktaSays()) !== 'renamed') throw new Error('the fake did not rename');
    }
    const eventsBefore = await events();
    let stats = {};
    const time = await seconds(async () => {
      stats = await app.get(SyncService).syncConnection(company.id, connection.id, signal());
    });
    const line = `${JSON.stringify(stats)}, ${(await events()) - eventsBefore} events`;
    runs.push({ label, seconds: time, line });
  }
  const fetchAfter = await fetchOnly();
  const floor = Math.min(fetchBefore, fetchAfter);
  const peakMb = process.resourceUsage().maxRSS / 1024;
  console.log(
    `sync bench: ${count} users, ${groups} groups × ${membersPerGroup} members, ` +
      `${server.origin} PostgreSQL`,
  );
  console.log(
    `fetch only: ${fetchBefore.toFixed(2)} s before, ${fetchAfter.toFixed(2)} s after ` +
      `(floor ${floor.toFixed(2)} s)`,
  );
  for (const run of runs) {
    console.log(
      `${run.label}: ${run.seconds.toFixed(2)} s, ${(count / run.seconds).toFixed(0)} users/s, ` +
        `${(run.seconds / floor).toFixed(2)}x fetch only — ${run.line}`,
    );
  }
  console.log(`peak RSS ${peakMb.toFixed(0)} MB`);
} finally {
  await app.close();
  await database.drop();
  okta.kill('SIGTERM');
  await server.stop();
}

function signal(): AbortSignal {
  return new AbortController().signal;
}
