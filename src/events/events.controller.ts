import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentCompany } from '../auth/decorators.js';
import { EVENT_PAGE_REF } from '../openapi/events.js';
import { API_KEY_AUTH } from '../openapi/openapi.js';
import { ApiErrors } from '../openapi/schemas.js';
import { ListEventsQuery } from './dto/list-events.dto.js';
import { EVENT_CURSOR, EventLog, LOG_START } from './event-log.js';
import type { EventView } from './event-types.js';

const DEFAULT_LIMIT = 100;

@ApiTags('events')
@ApiBearerAuth(API_KEY_AUTH)
@ApiErrors(400, 401)
@Controller('api/events')
export class EventsController {
  constructor(private readonly log: EventLog) {}

  /**
   * `nextCursor` is never null: with nothing new it is where the caller already was, so an
   * app polls with it for ever.
   */
  @Get()
  @ApiOperation({
    summary: "The company's events after a cursor, oldest first",
    description:
      'Pass `nextCursor` back as `after` to get what happened since; it is never null. An ' +
      'event appears only once no transaction still open can add one before it, so a ' +
      'cursor never skips an event.',
  })
  @ApiOkResponse({ schema: { $ref: EVENT_PAGE_REF } })
  async list(
    @CurrentCompany() companyId: string,
    @Query() query: ListEventsQuery,
  ): Promise<{ items: EventView[]; nextCursor: string }> {
    const { events, next } = await this.log.read(
      query.after ?? LOG_START,
      query.limit ?? DEFAULT_LIMIT,
      { companyId, types: query.types, connectionId: query.connectionId },
    );
    return {
      items: events.map(({ id, type, companyId: company, connectionId, occurredAt, data }) => ({
        id,
        type,
        companyId: company,
        connectionId,
        occurredAt,
        data,
      })),
      nextCursor: EVENT_CURSOR.encode(next),
    };
  }
}
