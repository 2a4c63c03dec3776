import type { LoggerService } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from '../config/config.schema.js';

/** The root pino logger of one app instance (Nest provider token). */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');
export type RootLogger = Logger;

/**
 * Fields every log line written in this async context carries: `requestId` during an HTTP
 * request, `jobId` / `connectionId` / `companyId` while a worker runs a job. Read by the
 * root logger's mixin, so lines from any class (Nest `Logger` included) get them.
 */
export const logContext = new AsyncLocalStorage<Record<string, string | undefined>>();

/** Nest's level names (LOG_LEVEL, Nest's Logger calls) as pino's. */
const PINO_LEVEL: Record<LogLevel, Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

export const REDACTED = '[redacted]';

/**
 * Keys whose value is never logged, at any depth of a logged object: secrets of provider
 * configs (apiToken, clientSecret, privateKey, bindPassword, secretAccessKey), tokens,
 * passwords, API keys, cookies and authorization headers.
 */
const SECRET_KEY = /secret|token|passw(or)?d|private_?key|api_?key|authorization|cookie/i;

/** Paths pino redacts after serialization (pino-http's `req`/`res` objects). */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

/** Copies plain objects and arrays, replacing secret-named fields; leaves other objects be. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    out[key] =
      SECRET_KEY.test(key) && field !== null && field !== undefined
        ? REDACTED
        : redactSecrets(field, depth + 1);
  }
  return out;
}

export interface RootLoggerOptions {
  level: LogLevel | 'silent';
  /** JSON lines (production) or pino-pretty's human output. */
  pretty: boolean;
  /** Where lines go (default stdout); tests pass a stream to capture them. */
  destination?: DestinationStream;
}

/** The process's root logger: JSON in production, pretty otherwise; redacts secrets. */
export function createRootLogger(options: RootLoggerOptions): RootLogger {
  const level = options.level === 'silent' ? 'silent' : PINO_LEVEL[options.level];
  const destination =
    options.destination ??
    (options.pretty
      ? pretty({
          sync: true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname,service,context',
          messageFormat: '{if context}[{context}] {end}{msg}',
        })
      : pino.destination({ dest: 1, sync: true }));
  return pino(
    {
      level,
      base: { service: 'directory-sync' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      mixin: () => logContext.getStore() ?? {},
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactSecrets(object) as Record<string, unknown>,
        bindings: (bindings) => redactSecrets(bindings) as Record<string, unknown>,
      },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}

/** Options from the app's config: LOG_LEVEL, and pretty output unless NODE_ENV=production. */
export function rootLoggerOptionsFor(config: {
  logLevel: LogLevel;
  nodeEnv: string;
}): RootLoggerOptions {
  return { level: config.logLevel, pretty: config.nodeEnv !== 'production' };
}

/**
 * Nest's LoggerService over pino (what nestjs-pino does, which needs Node 22 for Nest 12):
 * `context` becomes a field, an Error or a stack becomes `err`, an object is merged in.
 */
export class PinoLoggerService implements LoggerService {
  constructor(private readonly root: RootLogger) {}

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  log(message: unknown, ...params: unknown[]): void {
    this.write('log', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('verbose', message, params);
  }

  private write(level: LogLevel, message: unknown, params: unknown[]): void {
    const method = PINO_LEVEL[level];
    if (!this.root.isLevelEnabled(method)) return;
    const fields: Record<string, unknown> = {};
    // Nest's Logger passes an undefined stack for error(message) with a context.
    const rest = params.filter((param) => param !== undefined);
    if (rest.length > 0 && typeof rest[rest.length - 1] === 'string') {
      fields.context = rest.pop();
    }
    // Nest's error(message, stack, context): a string stack before the context.
    if (level === 'error' || level === 'fatal') {
      const stack = rest[0];
      if (typeof stack === 'string' && stack.includes('\n')) {
        fields.err = { stack };
        rest.shift();
      } else if (stack instanceof Error) {
        fields.err = stack;
        rest.shift();
      }
    }
    if (rest.length > 0) fields.params = rest;
    if (message instanceof Error) {
      this.root[method]({ ...fields, err: message }, message.message);
    } else if (message !== null && typeof message === 'object') {
      this.root[method]({ ...fields, ...(message as Record<string, unknown>) });
    } else {
      this.root[method](fields, String(message));
    }
  }
}
