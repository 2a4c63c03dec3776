import { Module } from '@nestjs/common';
import { EventLog } from './event-log.js';

/** The outbox every writer appends to in its own transaction, and GET /api/events. */
@Module({
  providers: [EventLog],
  exports: [EventLog],
})
export class EventsModule {}
