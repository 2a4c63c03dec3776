import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentCompany } from '../auth/decorators.js';
import { API_KEY_AUTH } from '../openapi/openapi.js';
import { QueueStatsSchema } from '../openapi/queue.js';
import { ApiErrors } from '../openapi/schemas.js';
import { JobQueue, type CompanyQueueStats } from './job-queue.js';

/** The caller's company's share of the queue: its jobs of every kind, nobody else's. */
@ApiTags('queue')
@ApiBearerAuth(API_KEY_AUTH)
@ApiErrors(401)
@Controller('api/queue')
export class QueueStatsController {
  constructor(private readonly queue: JobQueue) {}

  @Get('stats')
  @ApiOperation({
    summary: "The company's jobs: waiting and running per kind, the oldest due, the last hour",
    description:
      'Counts jobs of every kind (sync, webhook, …) of the caller’s company only. One ' +
      'statement; the last hour comes in per-minute buckets.',
  })
  @ApiOkResponse({ type: QueueStatsSchema })
  stats(@CurrentCompany() companyId: string): Promise<CompanyQueueStats> {
    return this.queue.companyStats(companyId);
  }
}
