import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CursorCodec, IsCursor, PageLimit } from './paging.js';

const codec = new CursorCodec<{ email: string }>({ email: (email) => email !== '' });
const encoded = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

class Query {
  @PageLimit(500, 100)
  limit?: number;

  @IsCursor(codec)
  cursor?: { email: string };
}

/** What the validation pipe makes of a query: the instance, or the messages. */
function parse(query: Record<string, unknown>) {
  const instance = plainToInstance(Query, query);
  const errors = validateSync(instance).flatMap((e) => Object.values(e.constraints ?? {}));
  return errors.length ? { errors } : { instance };
}

describe('CursorCodec', () => {
  it('decodes what it encodes', () => {
    const cursor = codec.encode({ email: 'zoë@example.com' });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(codec.decode(cursor)).toEqual({ email: 'zoë@example.com' });
  });

  it.each([
    ['another shape', 'eyJ4IjoxfQ'],
    ['NUL bytes', 'AAAA'],
    ['an extra key', encoded({ email: 'a', x: 'b' })],
    ['a value of another type', encoded({ email: 1 })],
    ['a value its check refuses', encoded({ email: '' })],
    ['a NUL in the value', encoded({ email: 'a\u0000' })],
    ['an array', encoded(['a'])],
    ['an inherited key name', encoded({ toString: 'a' })],
    ['not base64url', 'a+b/'],
    // The same bytes as eyJlbWFpbCI6ImEifQ ({"email":"a"}), other padding bits.
    ['non-canonical base64url', 'eyJlbWFpbCI6ImEifR'],
    ['empty', ''],
  ])('refuses %s', (_what, cursor) => {
    expect(codec.decode(cursor)).toBeUndefined();
  });
});

describe('PageLimit and IsCursor', () => {
  it('take plain decimal digits and a valid cursor', () => {
    const cursor = codec.encode({ email: 'a@x' });
    expect(parse({ limit: '25', cursor })).toEqual({
      instance: Object.assign(new Query(), { limit: 25, cursor: { email: 'a@x' } }),
    });
    expect(parse({})).toEqual({ instance: new Query() });
  });

  it.each(['1e2', '0x10', ' 5', '5 ', '+5', '-1', '0', '501', '2.0', 'abc', ''])(
    'refuse limit=%j with one message',
    (limit) => {
      expect(parse({ limit })).toEqual({ errors: ['limit must be an integer between 1 and 500'] });
    },
  );

  it('refuse a repeated parameter and a bad cursor', () => {
    expect(parse({ limit: ['1', '2'] })).toEqual({
      errors: ['limit must be an integer between 1 and 500'],
    });
    expect(parse({ cursor: 'eyJ4IjoxfQ' })).toEqual({ errors: ['cursor is invalid'] });
    expect(parse({ cursor: ['a', 'b'] })).toEqual({ errors: ['cursor is invalid'] });
  });
});
