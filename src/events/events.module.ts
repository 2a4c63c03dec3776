import { Module } from '@nestjs/common';
import { EventLog } from './event-log.js';
import { EventsController } from './events.controller.js';

/** The outbox every writer appends to in its own transaction, and GET /api/events. */
@Module({
  controllers: [EventsController],
  providers: [EventLog],
  exports: [EventLog],
})
export class EventsModule {}
