import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
  isUUID,
} from 'class-validator';
import { CursorCodec, IsCursor, PageLimit } from '../../common/paging.js';
import { IsOmittable } from '../../common/validation.js';
import { EVENT_TYPES } from '../../events/event-types.js';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../webhook.view.js';

const MAX_URL_LENGTH = 2000;
const MAX_DESCRIPTION_LENGTH = 500;

const EVENT_TYPES_SCHEMA = {
  type: 'array' as const,
  items: { type: 'string', enum: [...EVENT_TYPES] },
  minItems: 1,
  maxItems: EVENT_TYPES.length,
  uniqueItems: true,
};

/** The list of event types an endpoint wants: known types, each once, at least one. */
const EventTypeRules = () =>
  applyDecorators(
    IsArray({ message: 'eventTypes must be an array of event types' }),
    ArrayMinSize(1, { message: 'eventTypes must name at least one type (omit it for every type)' }),
    ArrayMaxSize(EVENT_TYPES.length),
    ArrayUnique({ message: 'eventTypes must not repeat a type' }),
    IsIn(EVENT_TYPES, {
      each: true,
      message: `eventTypes must each be one of ${EVENT_TYPES.join(', ')}`,
    }),
  );

export class CreateWebhookDto {
  @ApiProperty({
    maxLength: MAX_URL_LENGTH,
    example: 'https://hooks.example.com/directory',
    description:
      'https only; no private, loopback, link-local or metadata address (checked again on ' +
      'the resolved address at every delivery)',
  })
  @IsString()
  @MaxLength(MAX_URL_LENGTH)
  url!: string;

  @ApiPropertyOptional({ ...EVENT_TYPES_SCHEMA, description: 'Omitted: every type' })
  @IsOmittable()
  @EventTypeRules()
  eventTypes?: string[];

  @ApiPropertyOptional({ default: true })
  @IsOmittable()
  @IsBoolean({ message: 'enabled must be true or false' })
  enabled?: boolean;

  @ApiPropertyOptional({ type: String, maxLength: MAX_DESCRIPTION_LENGTH, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_DESCRIPTION_LENGTH)
  description?: string | null;
}

/** Every field may change; `eventTypes: null` is every type again. */
export class UpdateWebhookDto {
  @ApiPropertyOptional({ maxLength: MAX_URL_LENGTH })
  @IsOmittable()
  @IsString()
  @MaxLength(MAX_URL_LENGTH)
  url?: string;

  @ApiPropertyOptional({ ...EVENT_TYPES_SCHEMA, nullable: true, description: 'null: every type' })
  @IsOptional()
  @EventTypeRules()
  eventTypes?: string[] | null;

  @ApiPropertyOptional({
    description: 'true re-enables a disabled endpoint: it receives the events from then on',
  })
  @IsOmittable()
  @IsBoolean({ message: 'enabled must be true or false' })
  enabled?: boolean;

  @ApiPropertyOptional({ type: String, maxLength: MAX_DESCRIPTION_LENGTH, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_DESCRIPTION_LENGTH)
  description?: string | null;
}

/** Newest first: a cursor is the last delivery shown. */
export type DeliveryCursor = { id: string };
export const DELIVERY_CURSOR = new CursorCodec<DeliveryCursor>({ id: (id) => isUUID(id) });

export class ListDeliveriesQuery {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES, { message: `status must be one of ${DELIVERY_STATUSES.join(', ')}` })
  status?: DeliveryStatus;

  @PageLimit(200, 50)
  limit?: number;

  /** The `nextCursor` of the previous page. */
  @IsCursor(DELIVERY_CURSOR)
  cursor?: DeliveryCursor;
}
