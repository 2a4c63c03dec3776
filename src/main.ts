import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp, logLevels } from './app.factory.js';
import { loadConfigOrExit } from './config/load-config.js';
import { openDatabase } from './database/database.js';
import { runMigrations } from './database/migrate.js';

/** `npm start`: config, database (embedded unless DATABASE_URL), migrations, HTTP. */
async function main(): Promise<void> {
  const startedAt = Date.now();
  const config = loadConfigOrExit();
  Logger.overrideLogger(logLevels(config.logLevel));
  const logger = new Logger('Bootstrap');
  const database = await openDatabase(config, (message) => logger.log(message));
  try {
    const applied = await runMigrations(database.url);
    if (applied.length) logger.log(`Applied migrations: ${applied.join(', ')}`);
    const app = await createApp(config, database.url);
    await app.listen(config.port);
    logger.log(
      `directory-sync listening on :${config.port} (${Date.now() - startedAt} ms to boot)`,
    );

    // One place decides how the process ends: app.close() runs every Nest shutdown hook (the
    // pool closes), then the embedded database stops, then we exit 0.
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.log(`${signal} received, shutting down`);
      await app.close();
      await database.close();
      process.exit(0);
    };
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, (name) => void stop(name));
    }
  } catch (error) {
    await database.close();
    throw error;
  }
}

main().catch((error: unknown) => {
  new Logger('Bootstrap').error(describeStartupError(error));
  process.exit(1);
});

function describeStartupError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE')
    return `cannot start: port ${process.env.PORT ?? 3000} is already in use`;
  return `cannot start: ${error instanceof Error ? error.message : String(error)}`;
}
