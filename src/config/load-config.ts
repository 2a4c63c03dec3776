import { ConfigError, parseConfig, type AppConfig } from './config.schema.js';

/** For entry points: a bad variable prints one line per problem and exits 1, no stack trace. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): AppConfig {
  try {
    return parseConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems)
      process.stderr.write(`Invalid configuration: ${problem}\n`);
    process.exit(1);
  }
}
