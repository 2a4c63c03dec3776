import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { AppModule } from './app.module.js';
import { CompaniesService } from './companies/companies.service.js';
import { loadConfigOrExit } from './config/load-config.js';
import { openDatabase } from './database/database.js';
import { runMigrations } from './database/migrate.js';

const USAGE = `usage: npm run cli -- <command>
  company:create --name <name>   create a company and its first admin API key (prints JSON)
  migration:run                  apply pending database migrations`;

/** Operator commands. Results go to stdout as JSON; progress and errors to stderr. */
async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const config = loadConfigOrExit();
  const log = (message: string) => process.stderr.write(`${message}\n`);

  if (command === 'company:create') {
    const usage = 'usage: npm run cli -- company:create --name <name>';
    let name: string | undefined;
    try {
      name = parseArgs({ args: rest, options: { name: { type: 'string' } } }).values.name?.trim();
    } catch (error) {
      fail(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
    }
    if (!name || name.length > 200) {
      fail(`company:create needs --name (1 to 200 characters)\n${usage}`);
    }
    await withDatabase(config, log, async (url) => {
      // role api: a one-off command must not start claiming sync jobs.
      const app = await NestFactory.createApplicationContext(
        AppModule.forRoot({ ...config, role: 'api' }, url),
        { logger: false },
      );
      try {
        const created = await app.get(CompaniesService).create(name);
        process.stdout.write(`${JSON.stringify(created, null, 2)}\n`);
      } finally {
        await app.close();
      }
    });
    return;
  }
  if (command === 'migration:run') {
    await withDatabase(config, log, async () => {});
    return;
  }
  fail(USAGE);
}

async function withDatabase(
  config: ReturnType<typeof loadConfigOrExit>,
  log: (message: string) => void,
  work: (url: string) => Promise<void>,
): Promise<void> {
  const database = await openDatabase(config, log);
  try {
    const applied = await runMigrations(database.url);
    log(applied.length ? `Applied migrations: ${applied.join(', ')}` : 'No pending migrations');
    await work(database.url);
  } finally {
    await database.close();
  }
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
