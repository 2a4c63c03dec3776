import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, ValidateBy } from 'class-validator';
import { isUtf8 } from 'node:buffer';
import { textProblem } from './input/input-problems.js';

/**
 * A list's `limit` query parameter: plain decimal digits from 1 to `max`. `Number()` would
 * also take `1e2`, `0x10` and `" 5"`; one constraint gives one message, said once.
 */
export const PageLimit = (max: number, defaultLimit: number) =>
  applyDecorators(
    ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: max, default: defaultLimit }),
    IsOptional(),
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value,
    ),
    ValidateBy({
      name: 'pageLimit',
      validator: {
        validate: (value) =>
          typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= max,
        defaultMessage: () => `limit must be an integer between 1 and ${max}`,
      },
    }),
  );

/** What a cursor looks like before it is decoded (the document shows this much of it). */
const CURSOR_FORMAT = /^[A-Za-z0-9_-]{1,4000}$/;

type FieldChecks<T> = { [K in keyof T]: (value: string) => boolean };

/**
 * The one cursor format of every list: base64url of a small JSON object, the position after
 * the last item shown (`{"email": …}`, `{"id": …}`). Decoding checks the exact shape — the
 * same keys, each a string its check accepts, no NUL — so a cursor of another list, a forged
 * one or bytes that decode to nothing sensible are refused, never read as "from the start".
 */
export class CursorCodec<T extends Record<string, string>> {
  constructor(private readonly checks: FieldChecks<T>) {}

  encode(position: T): string {
    return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
  }

  decode(cursor: string): T | undefined {
    if (!CURSOR_FORMAT.test(cursor)) return undefined;
    const bytes = Buffer.from(cursor, 'base64url');
    if (bytes.toString('base64url') !== cursor || !isUtf8(bytes)) return undefined;
    let position: unknown;
    try {
      position = JSON.parse(bytes.toString('utf8'));
    } catch {
      return undefined;
    }
    if (position === null || typeof position !== 'object' || Array.isArray(position)) {
      return undefined;
    }
    const checks: Record<string, (value: string) => boolean> = this.checks;
    const fields = Object.entries(position);
    const valid =
      fields.length === Object.keys(checks).length &&
      fields.every(
        ([key, value]) =>
          Object.hasOwn(checks, key) &&
          typeof value === 'string' &&
          textProblem(value) === undefined &&
          checks[key](value),
      );
    return valid ? (position as T) : undefined;
  }
}

const INVALID = Symbol('invalid cursor');

/**
 * A cursor query parameter (`cursor`, or another name), decoded by the validation pipe:
 * 400 "<name> is invalid".
 */
export const IsCursor = <T extends Record<string, string>>(codec: CursorCodec<T>) =>
  applyDecorators(
    ApiPropertyOptional({
      type: String,
      pattern: CURSOR_FORMAT.source,
      description: 'The `nextCursor` of the previous page (opaque)',
    }),
    IsOptional(),
    Transform(({ value }: { value: unknown }) =>
      typeof value === 'string' ? (codec.decode(value) ?? INVALID) : INVALID,
    ),
    ValidateBy({
      name: 'isCursor',
      validator: {
        validate: (value) => value !== INVALID,
        defaultMessage: (args) => `${args?.property ?? 'cursor'} is invalid`,
      },
    }),
  );
