import { describe, expect, it } from '@jest/globals';
import { ConfigError, parseConfig } from './config.schema.js';

const KEY = Buffer.alloc(32, 9).toString('base64');

/** The problems parseConfig reports for an environment (fails the test if it accepts it). */
function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe('parseConfig', () => {
  it('has the documented defaults', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      databaseUrl: undefined,
      dataDir: './.data',
      port: 3000,
      role: 'all',
      platformAdminToken: undefined,
      encryptionKey: undefined,
      encryptionKeyPrevious: undefined,
      syncPollIntervalMs: 5000,
      syncBackoffBaseMs: 30_000,
      syncMaxAttempts: 4,
      syncConcurrency: 2,
      syncLeaseMs: 60_000,
      shutdownGraceMs: 25_000,
      jobRetentionDays: 30,
      eventRetentionDays: 30,
      syncTriggerRateLimit: 60,
      directoryAllowPrivateNetworks: false,
      logLevel: 'log',
    });
  });

  it('treats empty values as unset', () => {
    expect(parseConfig({ PORT: '', ROLE: '  ', DATABASE_URL: '' })).toMatchObject({
      port: 3000,
      role: 'all',
      databaseUrl: undefined,
    });
  });

  it('reads every variable', () => {
    const config = parseConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://u:p@db.example.com:5432/ds',
      DATA_DIR: '/var/lib/ds',
      PORT: '8080',
      ROLE: 'worker',
      PLATFORM_ADMIN_TOKEN: 'platform',
      ENCRYPTION_KEY: KEY,
      ENCRYPTION_KEY_PREVIOUS: Buffer.alloc(32, 1).toString('base64'),
      SYNC_POLL_INTERVAL_MS: '1000',
      SYNC_BACKOFF_BASE_MS: '500',
      SYNC_MAX_ATTEMPTS: '7',
      SYNC_CONCURRENCY: '8',
      SYNC_LEASE_MS: '90000',
      SHUTDOWN_GRACE_MS: '0',
      JOB_RETENTION_DAYS: '7',
      EVENT_RETENTION_DAYS: '90',
      SYNC_TRIGGER_RATE_LIMIT: '0',
      DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'true',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      nodeEnv: 'production',
      databaseUrl: 'postgres://u:p@db.example.com:5432/ds',
      dataDir: '/var/lib/ds',
      port: 8080,
      role: 'worker',
      platformAdminToken: 'platform',
      syncPollIntervalMs: 1000,
      syncBackoffBaseMs: 500,
      syncMaxAttempts: 7,
      syncConcurrency: 8,
      syncLeaseMs: 90_000,
      shutdownGraceMs: 0,
      jobRetentionDays: 7,
      eventRetentionDays: 90,
      syncTriggerRateLimit: 0,
      directoryAllowPrivateNetworks: true,
      logLevel: 'debug',
    });
    expect(config.encryptionKey?.equals(Buffer.alloc(32, 9))).toBe(true);
    expect(config.encryptionKeyPrevious?.equals(Buffer.alloc(32, 1))).toBe(true);
  });

  it.each(['abc', '0', '70000', '3.5', '-1', '80abc'])('PORT=%s is refused', (port) => {
    expect(problemsOf({ PORT: port })).toEqual(['PORT must be an integer between 1 and 65535']);
  });

  it('accepts the edges of the PORT range', () => {
    expect(parseConfig({ PORT: '1' }).port).toBe(1);
    expect(parseConfig({ PORT: '65535' }).port).toBe(65535);
  });

  it('ROLE must be all, api or worker', () => {
    expect(problemsOf({ ROLE: 'foo' })).toEqual(['ROLE must be one of all, api, worker']);
    for (const role of ['all', 'api', 'worker'] as const) {
      expect(parseConfig({ ROLE: role }).role).toBe(role);
    }
  });

  it.each([
    ['info', 'log'],
    ['INFO', 'log'],
    ['trace', 'verbose'],
    ['fatal', 'fatal'],
    ['Warn', 'warn'],
    ['log', 'log'],
    ['verbose', 'verbose'],
  ])('LOG_LEVEL=%s is the level %s', (value, level) => {
    expect(parseConfig({ LOG_LEVEL: value }).logLevel).toBe(level);
  });

  it('DIRECTORY_ALLOW_PRIVATE_NETWORKS must be a boolean', () => {
    expect(problemsOf({ DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'maybe' })).toEqual([
      'DIRECTORY_ALLOW_PRIVATE_NETWORKS must be true or false',
    ]);
    expect(parseConfig({ DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'false' })).toMatchObject({
      directoryAllowPrivateNetworks: false,
    });
    expect(parseConfig({ DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'TRUE' })).toMatchObject({
      directoryAllowPrivateNetworks: true,
    });
  });

  it.each([
    ['31 bytes', Buffer.alloc(31, 1).toString('base64')],
    ['33 bytes', Buffer.alloc(33, 1).toString('base64')],
    ['not base64', `${'!'.repeat(43)}=`],
    ['hex', Buffer.alloc(32, 1).toString('hex')],
  ])('ENCRYPTION_KEY of %s is refused', (_what, key) => {
    expect(problemsOf({ ENCRYPTION_KEY: key })).toEqual([
      'ENCRYPTION_KEY must be 32 bytes encoded as base64 (openssl rand -base64 32)',
    ]);
  });

  it('ENCRYPTION_KEY_PREVIOUS is checked the same way', () => {
    expect(problemsOf({ ENCRYPTION_KEY: KEY, ENCRYPTION_KEY_PREVIOUS: 'short' })).toEqual([
      'ENCRYPTION_KEY_PREVIOUS must be 32 bytes encoded as base64 (openssl rand -base64 32)',
    ]);
  });

  it.each(['mysql://x', 'not a url', 'http://db:5432/ds'])('DATABASE_URL=%s is refused', (url) => {
    expect(problemsOf({ DATABASE_URL: url })).toEqual([
      'DATABASE_URL must be a postgres:// or postgresql:// URL',
    ]);
  });

  it('accepts postgresql:// URLs', () => {
    expect(parseConfig({ DATABASE_URL: 'postgresql://localhost/ds' }).databaseUrl).toBe(
      'postgresql://localhost/ds',
    );
  });

  it('requires ENCRYPTION_KEY in production', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      'ENCRYPTION_KEY is required when NODE_ENV=production',
    ]);
    expect(parseConfig({ NODE_ENV: 'production', ENCRYPTION_KEY: KEY }).nodeEnv).toBe('production');
  });

  it.each([
    [
      'SYNC_POLL_INTERVAL_MS',
      '0',
      'SYNC_POLL_INTERVAL_MS must be an integer between 10 and 3600000',
    ],
    ['SYNC_MAX_ATTEMPTS', '11', 'SYNC_MAX_ATTEMPTS must be an integer between 1 and 10'],
    ['SYNC_CONCURRENCY', 'two', 'SYNC_CONCURRENCY must be an integer between 1 and 64'],
    ['JOB_RETENTION_DAYS', '0', 'JOB_RETENTION_DAYS must be an integer between 1 and 3650'],
    ['EVENT_RETENTION_DAYS', '0', 'EVENT_RETENTION_DAYS must be an integer between 1 and 3650'],
    ['EVENT_RETENTION_DAYS', '30d', 'EVENT_RETENTION_DAYS must be an integer between 1 and 3650'],
    [
      'SYNC_TRIGGER_RATE_LIMIT',
      '-5',
      'SYNC_TRIGGER_RATE_LIMIT must be an integer between 0 and 100000',
    ],
    [
      'LOG_LEVEL',
      'loud',
      'LOG_LEVEL must be one of fatal, error, warn, info, log, debug, trace, verbose',
    ],
  ])('%s=%s is refused', (name, value, message) => {
    expect(problemsOf({ [name]: value })).toEqual([message]);
  });

  it('reports every problem at once, each naming its variable', () => {
    const problems = problemsOf({
      NODE_ENV: 'production',
      PORT: 'abc',
      ROLE: 'x',
      DATABASE_URL: 'mysql://x',
      DIRECTORY_ALLOW_PRIVATE_NETWORKS: 'maybe',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'PORT must be an integer between 1 and 65535',
        'ROLE must be one of all, api, worker',
        'DATABASE_URL must be a postgres:// or postgresql:// URL',
        'DIRECTORY_ALLOW_PRIVATE_NETWORKS must be true or false',
        'ENCRYPTION_KEY is required when NODE_ENV=production',
      ]),
    );
    expect(problems).toHaveLength(5);
  });

  it('never echoes a secret value in a problem', () => {
    const secret = 'postgres-password-123';
    const problems = problemsOf({
      DATABASE_URL: `mysql://u:${secret}@h/db`,
      ENCRYPTION_KEY: secret,
    });
    expect(problems.join('\n')).not.toContain(secret);
  });
});
