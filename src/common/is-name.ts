import { applyDecorators } from '@nestjs/common';
import { IsString, Length, Matches } from 'class-validator';

/** The rule in OpenAPI terms, so the document states exactly what IsName enforces. */
export const NAME_SCHEMA = {
  type: String,
  minLength: 1,
  maxLength: 200,
  pattern: '\\S',
  description: '1 to 200 characters, not only spaces',
} as const;

/** A human-readable name: 1 to 200 characters, not only spaces. */
export const IsName = () =>
  applyDecorators(
    IsString(),
    Length(NAME_SCHEMA.minLength, NAME_SCHEMA.maxLength),
    Matches(new RegExp(NAME_SCHEMA.pattern), { message: '$property must not be blank' }),
  );
