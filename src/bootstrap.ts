import 'reflect-metadata';
import type { Server } from 'node:http';
import { type INestApplicationContext, Logger } from '@nestjs/common';
import { createApp, createWorker } from './app.factory.js';
import type { AppConfig } from './config/config.schema.js';
import { loadConfigOrExit } from './config/load-config.js';
import { openDatabase, type DatabaseHandle } from './database/database.js';
import { runMigrations } from './database/migrate.js';
import { startOpsServer } from './health/ops-server.js';
import { createRootLogger, PinoLoggerService, rootLoggerOptionsFor } from './logging/logger.js';

/**
 * Starts one process of the service: config, database (embedded unless DATABASE_URL),
 * migrations, then the HTTP API (ROLE all or api) or a worker without HTTP (ROLE worker).
 */
export async function runService(overrides: Partial<AppConfig> = {}): Promise<void> {
  const startedAt = Date.now();
  const config = { ...loadConfigOrExit(), ...overrides };
  // One pino logger for the process: JSON lines in production, pretty output otherwise.
  const log = createRootLogger(rootLoggerOptionsFor(config));
  Logger.overrideLogger(new PinoLoggerService(log));
  const logger = new Logger('Bootstrap');

  // The one place that decides how the process ends: app.close() runs every Nest shutdown
  // hook (the worker finishes or releases its jobs, the pool closes), then the embedded
  // database stops, then the process exits 0. A signal during boot waits for boot to end.
  let database: DatabaseHandle | undefined;
  let app: INestApplicationContext | undefined;
  let opsServer: Server | undefined;
  let booted = false;
  let stopSignal: string | undefined;
  const stop = async (signal: string) => {
    stopSignal ??= signal;
    if (!booted) return;
    logger.log(`${stopSignal} received, shutting down`);
    await app?.close();
    opsServer?.closeAllConnections();
    await new Promise((resolve) => (opsServer ? opsServer.close(resolve) : resolve(undefined)));
    await database?.close();
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, (name) => void stop(name));
  }

  try {
    database = await openDatabase(config, (message) => logger.log(message));
    const applied = await runMigrations(database.url);
    if (applied.length) logger.log(`Applied migrations: ${applied.join(', ')}`);
    if (config.role === 'worker') {
      app = await createWorker(config, database.url, { log });
      if (config.opsPort) {
        opsServer = await startOpsServer(app, config.opsPort).catch((error: unknown) => {
          throw new Error(`OPS_PORT ${config.opsPort}: ${(error as Error).message}`);
        });
      }
      const ops = config.opsPort ? `; /health and /metrics on :${config.opsPort}` : '';
      logger.log(`directory-sync worker started (${Date.now() - startedAt} ms to boot)${ops}`);
    } else {
      const http = await createApp(config, database.url, { log });
      app = http;
      await http.listen(config.port);
      logger.log(
        `directory-sync ${config.role === 'api' ? 'API' : 'API and worker'} listening on ` +
          `:${config.port} (${Date.now() - startedAt} ms to boot)`,
      );
    }
  } catch (error) {
    logger.error(describeStartupError(error, config.port));
    await app?.close().catch(() => undefined);
    await database?.close().catch(() => undefined);
    process.exit(1);
  }
  booted = true;
  if (stopSignal) await stop(stopSignal);
}

function describeStartupError(error: unknown, port: number): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE') return `cannot start: port ${port} is already in use`;
  return `cannot start: ${error instanceof Error ? error.message : String(error)}`;
}
