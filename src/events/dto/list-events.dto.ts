import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsUUID, ValidateBy } from 'class-validator';
import { IsCursor, PageLimit } from '../../common/paging.js';
import { EVENT_CURSOR, type EventPosition } from '../event-log.js';
import { EVENT_TYPES, isEventType, type EventType } from '../event-types.js';

const INVALID = Symbol('invalid types');
const MAX_TYPES_LENGTH = 1000;

/** `types=employee.created,employee.updated`: known types only, each at most once. */
function parseTypes(value: unknown): EventType[] | typeof INVALID {
  if (typeof value !== 'string' || value.length > MAX_TYPES_LENGTH) return INVALID;
  const names = value.split(',').map((name) => name.trim());
  if (!names.every(isEventType)) return INVALID;
  return [...new Set(names)];
}

export class ListEventsQuery {
  /** The `nextCursor` of the previous answer; omitted: from the oldest event kept. */
  @IsCursor(EVENT_CURSOR)
  after?: EventPosition;

  @ApiPropertyOptional({
    type: String,
    maxLength: MAX_TYPES_LENGTH,
    description: `Comma-separated event types; omitted: every type. One of: ${EVENT_TYPES.join(', ')}`,
    example: 'employee.created,employee.deactivated',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => parseTypes(value))
  @ValidateBy({
    name: 'eventTypes',
    validator: {
      validate: (value) => value !== INVALID,
      defaultMessage: () =>
        `types must be a comma-separated list of event types (${EVENT_TYPES.join(', ')})`,
    },
  })
  types?: EventType[];

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'connectionId must be a UUID' })
  connectionId?: string;

  @PageLimit(1000, 100)
  limit?: number;
}
