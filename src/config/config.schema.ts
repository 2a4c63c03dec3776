/**
 * The service's whole configuration, read from the environment once at boot.
 * `parseConfig` is pure so the same rules serve main.ts, the CLI, and the tests.
 */

export type Role = 'all' | 'api' | 'worker';
/** Nest's level names (`log` is pino's `info`, `verbose` its `trace`). */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'log' | 'debug' | 'verbose';

export interface AppConfig {
  nodeEnv: string;
  /** Unset: the service runs its own embedded PostgreSQL in `dataDir/postgres`. */
  databaseUrl: string | undefined;
  dataDir: string;
  port: number;
  /** ROLE=worker: serves /health/* and /metrics on this port (unset: no HTTP at all). */
  opsPort: number | undefined;
  role: Role;
  /** Unset: the platform routes answer 404. */
  platformAdminToken: string | undefined;
  /** 32 bytes. Unset outside production: generated into `dataDir` at boot. */
  encryptionKey: Buffer | undefined;
  encryptionKeyPrevious: Buffer | undefined;
  syncPollIntervalMs: number;
  syncBackoffBaseMs: number;
  syncMaxAttempts: number;
  syncConcurrency: number;
  syncLeaseMs: number;
  shutdownGraceMs: number;
  jobRetentionDays: number;
  /** Events older than this are pruned by the leader's housekeeping. */
  eventRetentionDays: number;
  syncTriggerRateLimit: number;
  /** SCIM requests per push connection per minute; 0 = off. */
  scimRateLimit: number;
  directoryAllowPrivateNetworks: boolean;
  providerTimeoutMs: number;
  providerRetryBaseMs: number;
  providerMaxRetries: number;
  providerRateLimitMaxWaitMs: number;
  logLevel: LogLevel;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

const ROLES: readonly Role[] = ['all', 'api', 'worker'];
const ROLE_NAMES = Object.fromEntries(ROLES.map((role) => [role, role])) as Record<string, Role>;
/** LOG_LEVEL: Nest's names, and pino's (and most tools') names for the same levels. */
const LOG_LEVEL_NAMES: Record<string, LogLevel> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  info: 'log',
  log: 'log',
  debug: 'debug',
  trace: 'verbose',
  verbose: 'verbose',
};

type Env = Record<string, string | undefined>;

/** Collects every problem instead of stopping at the first, so one boot shows them all. */
class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  string(name: string): string | undefined {
    return this.raw(name);
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value) || parsed < min || parsed > max) {
      this.problems.push(`${name} must be an integer between ${min} and ${max}`);
      return fallback;
    }
    return parsed;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    this.problems.push(`${name} must be true or false`);
    return fallback;
  }

  /** One of the names of `names` (any case), as the value it names. */
  oneOf<T extends string>(name: string, names: Record<string, T>, fallback: T): T {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (Object.hasOwn(names, value)) return names[value];
    this.problems.push(`${name} must be one of ${Object.keys(names).join(', ')}`);
    return fallback;
  }

  postgresUrl(name: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      const url = new URL(value);
      if (url.protocol === 'postgres:' || url.protocol === 'postgresql:') return value;
    } catch {
      // reported below
    }
    this.problems.push(`${name} must be a postgres:// or postgresql:// URL`);
    return undefined;
  }

  key32(name: string): Buffer | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const key = Buffer.from(value, 'base64');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || key.length !== 32) {
      this.problems.push(`${name} must be 32 bytes encoded as base64 (openssl rand -base64 32)`);
      return undefined;
    }
    return key;
  }
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export function parseConfig(env: Env): AppConfig {
  const read = new EnvReader(env);
  const nodeEnv = read.string('NODE_ENV') ?? 'development';
  const config: AppConfig = {
    nodeEnv,
    databaseUrl: read.postgresUrl('DATABASE_URL'),
    dataDir: read.string('DATA_DIR') ?? './.data',
    port: read.integer('PORT', 3000, 1, 65535),
    opsPort: env.OPS_PORT?.trim() ? read.integer('OPS_PORT', 0, 1, 65535) : undefined,
    role: read.oneOf('ROLE', ROLE_NAMES, 'all'),
    platformAdminToken: read.string('PLATFORM_ADMIN_TOKEN'),
    encryptionKey: read.key32('ENCRYPTION_KEY'),
    encryptionKeyPrevious: read.key32('ENCRYPTION_KEY_PREVIOUS'),
    syncPollIntervalMs: read.integer('SYNC_POLL_INTERVAL_MS', 5000, 10, HOUR),
    syncBackoffBaseMs: read.integer('SYNC_BACKOFF_BASE_MS', 30_000, 1, HOUR),
    syncMaxAttempts: read.integer('SYNC_MAX_ATTEMPTS', 4, 1, 10),
    syncConcurrency: read.integer('SYNC_CONCURRENCY', 2, 1, 64),
    syncLeaseMs: read.integer('SYNC_LEASE_MS', 60_000, 30, HOUR),
    shutdownGraceMs: read.integer('SHUTDOWN_GRACE_MS', 25_000, 0, HOUR),
    jobRetentionDays: read.integer('JOB_RETENTION_DAYS', 30, 1, 3650),
    eventRetentionDays: read.integer('EVENT_RETENTION_DAYS', 30, 1, 3650),
    syncTriggerRateLimit: read.integer('SYNC_TRIGGER_RATE_LIMIT', 60, 0, 100_000),
    scimRateLimit: read.integer('SCIM_RATE_LIMIT', 600, 0, 1_000_000),
    directoryAllowPrivateNetworks: read.boolean('DIRECTORY_ALLOW_PRIVATE_NETWORKS', false),
    providerTimeoutMs: read.integer('PROVIDER_TIMEOUT_MS', 30_000, 100, 10 * MINUTE),
    providerRetryBaseMs: read.integer('PROVIDER_RETRY_BASE_MS', 1000, 0, MINUTE),
    providerMaxRetries: read.integer('PROVIDER_MAX_RETRIES', 3, 0, 10),
    providerRateLimitMaxWaitMs: read.integer('PROVIDER_RATE_LIMIT_MAX_WAIT_MS', MINUTE, 0, HOUR),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVEL_NAMES, 'log'),
  };
  if (nodeEnv === 'production' && read.string('ENCRYPTION_KEY') === undefined) {
    read.problems.push('ENCRYPTION_KEY is required when NODE_ENV=production');
  }
  if (read.problems.length) throw new ConfigError(read.problems);
  return config;
}
