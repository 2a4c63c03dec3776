import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createRootLogger, logContext, PinoLoggerService, redactSecrets } from './logger.js';

function capture() {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return {
    stream,
    lines: () =>
      text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as object),
  };
}

describe('redactSecrets', () => {
  it('replaces secret-named fields at any depth and leaves the rest', () => {
    expect(
      redactSecrets({
        name: 'x',
        config: { orgUrl: 'https://a', apiToken: 't', nested: [{ clientSecret: 's' }] },
        privateKey: 'k',
        bindPassword: 'p',
        secretAccessKey: 'a',
      }),
    ).toEqual({
      name: 'x',
      config: {
        orgUrl: 'https://a',
        apiToken: '[redacted]',
        nested: [{ clientSecret: '[redacted]' }],
      },
      privateKey: '[redacted]',
      bindPassword: '[redacted]',
      secretAccessKey: '[redacted]',
    });
  });
});

describe('PinoLoggerService', () => {
  it('writes Nest calls as JSON with context, log context fields and no secrets', () => {
    const out = capture();
    const logger = new PinoLoggerService(
      createRootLogger({ level: 'log', pretty: false, destination: out.stream }),
    );
    logContext.run({ jobId: 'j1' }, () => logger.log('hello', 'Ctx'));
    logger.warn({ msg: 'cfg', config: { password: 'hunter2' } }, 'Ctx');
    logger.error('failed', 'Error: x\n    at y', 'Ctx');
    logger.debug('not shown', 'Ctx');
    const lines = out.lines();
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'hello', context: 'Ctx', jobId: 'j1' });
    expect(lines[1]).toMatchObject({ level: 'warn', config: { password: '[redacted]' } });
    expect(lines[2]).toMatchObject({
      level: 'error',
      msg: 'failed',
      err: { stack: 'Error: x\n    at y' },
    });
  });
});
