import { BadRequestException, Param, ParseUUIDPipe } from '@nestjs/common';

/** A route's `:id`, which must be a UUID (400 otherwise, before any lookup). */
export const UuidParam = (name = 'id') =>
  Param(
    name,
    new ParseUUIDPipe({
      exceptionFactory: () => new BadRequestException(`${name} must be a UUID`),
    }),
  );
