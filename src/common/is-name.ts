import { applyDecorators } from '@nestjs/common';
import { IsString, Length, Matches } from 'class-validator';

/** A human-readable name: 1 to 200 characters, not only spaces. */
export const IsName = () =>
  applyDecorators(
    IsString(),
    Length(1, 200),
    Matches(/\S/, { message: '$property must not be blank' }),
  );
