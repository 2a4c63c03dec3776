import { Writable } from 'node:stream';
import type { LogLevel } from '../../src/config/config.schema.js';
import { createRootLogger } from '../../src/logging/logger.js';

/** A root logger writing JSON lines into memory, to assert on what the app logged. */
export function capturedLogger(level: LogLevel) {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return {
    log: createRootLogger({ level, pretty: false, destination }),
    text: () => text,
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
