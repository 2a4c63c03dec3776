import 'reflect-metadata';
import { type INestApplicationContext, Logger } from '@nestjs/common';
import { createApp, createWorker, logLevels } from './app.factory.js';
import type { AppConfig } from './config/config.schema.js';
import { loadConfigOrExit } from './config/load-config.js';
import { openDatabase } from './database/database.js';
import { runMigrations } from './database/migrate.js';

/**
 * Starts one process of the service: config, database (embedded unless DATABASE_URL),
 * migrations, then the HTTP API (ROLE all or api) or a worker without HTTP (ROLE worker).
 */
export async function runService(overrides: Partial<AppConfig> = {}): Promise<void> {
  const startedAt = Date.now();
  const config = { ...loadConfigOrExit(), ...overrides };
  Logger.overrideLogger(logLevels(config.logLevel));
  const logger = new Logger('Bootstrap');
  try {
    const database = await openDatabase(config, (message) => logger.log(message));
    let app: INestApplicationContext;
    try {
      const applied = await runMigrations(database.url);
      if (applied.length) logger.log(`Applied migrations: ${applied.join(', ')}`);
      if (config.role === 'worker') {
        app = await createWorker(config, database.url);
        logger.log(`directory-sync worker started (${Date.now() - startedAt} ms to boot)`);
      } else {
        const http = await createApp(config, database.url);
        await http.listen(config.port);
        app = http;
        logger.log(
          `directory-sync ${config.role === 'api' ? 'API' : 'API and worker'} listening on ` +
            `:${config.port} (${Date.now() - startedAt} ms to boot)`,
        );
      }
    } catch (error) {
      await database.close();
      throw error;
    }

    // The one place that decides how the process ends: app.close() runs every Nest shutdown
    // hook (the worker finishes or releases its jobs, the pool closes), then the embedded
    // database stops, then the process exits 0.
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
    logger.error(describeStartupError(error, config.port));
    process.exit(1);
  }
}

function describeStartupError(error: unknown, port: number): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE') return `cannot start: port ${port} is already in use`;
  return `cannot start: ${error instanceof Error ? error.message : String(error)}`;
}
