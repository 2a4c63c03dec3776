import { Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { CurrentCompany } from '../auth/decorators.js';
import { UuidParam } from '../common/uuid-param.js';
import { ListSyncJobsQuery, SYNC_JOB_CURSOR } from './dto/sync-job.dto.js';
import { SyncJobService, type EnqueueResult } from './sync-job.service.js';
import { toJobView } from './sync-job.view.js';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { API_KEY_AUTH } from '../openapi/openapi.js';
import {
  ApiErrors,
  ApiUuidParam,
  EnqueuedJobSchema,
  SyncJobPageSchema,
  SyncJobSchema,
} from '../openapi/schemas.js';

const DEFAULT_LIMIT = 50;

@ApiTags('sync-jobs')
@ApiBearerAuth(API_KEY_AUTH)
@ApiErrors(400, 401)
@Controller('api/sync-jobs')
export class SyncJobsController {
  constructor(private readonly jobs: SyncJobService) {}

  @Get()
  @ApiOperation({ summary: "The company's jobs, newest first" })
  @ApiOkResponse({ type: SyncJobPageSchema })
  async list(@CurrentCompany() companyId: string, @Query() query: ListSyncJobsQuery) {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const rows = await this.jobs.list(companyId, {
      ...query,
      cursor: query.cursor?.id,
      limit: limit + 1,
    });
    const items = rows.slice(0, limit);
    return {
      items: items.map(toJobView),
      nextCursor:
        rows.length > limit ? SYNC_JOB_CURSOR.encode({ id: items[items.length - 1].id }) : null,
    };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One job, with its stats' })
  @ApiOkResponse({ type: SyncJobSchema })
  @ApiUuidParam()
  @ApiErrors(404)
  async get(@CurrentCompany() companyId: string, @UuidParam() id: string) {
    return toJobView(await this.jobs.get(companyId, id));
  }

  /** A FAILED or CANCELLED job runs again as a new job: 202 like a sync trigger. */
  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Run a FAILED or CANCELLED job again as a new job (admin)' })
  @ApiAcceptedResponse({ type: EnqueuedJobSchema })
  @ApiUuidParam()
  @ApiErrors(403, 404, 409, 429)
  async retry(
    @CurrentCompany() companyId: string,
    @UuidParam() id: string,
    @Res({ passthrough: true }) res: Response,
  ) {
    return acceptedJob(res, await this.jobs.retry(companyId, id));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a waiting job, or ask a running one to stop (admin)' })
  @ApiOkResponse({ type: SyncJobSchema })
  @ApiUuidParam()
  @ApiErrors(403, 404, 409)
  async cancel(@CurrentCompany() companyId: string, @UuidParam() id: string) {
    return toJobView(await this.jobs.cancel(companyId, id));
  }
}

/** The 202 answer of anything that enqueues: the job's id and where to watch it. */
export function acceptedJob(res: Response, { job, deduplicated }: EnqueueResult) {
  res.setHeader('Location', `/api/sync-jobs/${job.id}`);
  return { jobId: job.id, status: job.status, deduplicated };
}
