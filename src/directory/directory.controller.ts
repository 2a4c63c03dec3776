import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { CurrentCompany } from '../auth/decorators.js';
import { UuidParam } from '../common/uuid-param.js';
import { TriggerSyncDto } from '../sync-jobs/dto/sync-job.dto.js';
import { acceptedJob } from '../sync-jobs/sync-jobs.controller.js';
import type { ConnectionView } from './connection-view.js';
import { DirectoryService } from './directory.service.js';
import {
  CreateConnectionDto,
  PROVIDER_CONFIG_MODELS,
  UpdateConnectionDto,
} from './dto/connection.dto.js';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { API_KEY_AUTH } from '../openapi/openapi.js';
import {
  ApiErrors,
  ApiUuidParam,
  ConnectionListSchema,
  ConnectionSchema,
  ScheduledConnectionSchema,
  ConnectionTestSchema,
  EnqueuedJobSchema,
  ScimTokenSchema,
} from '../openapi/schemas.js';

@ApiTags('directory')
// ConnectionSchema: what connection events carry (the routes add nextSyncAt).
@ApiExtraModels(...PROVIDER_CONFIG_MODELS, ConnectionSchema)
@ApiBearerAuth(API_KEY_AUTH)
@ApiErrors(401)
@Controller('api/directory')
export class DirectoryController {
  constructor(private readonly directory: DirectoryService) {}

  @Post()
  @ApiOperation({ summary: 'Create a connection (admin)' })
  @ApiCreatedResponse({ type: ScheduledConnectionSchema })
  @ApiErrors(400, 403)
  async create(@CurrentCompany() companyId: string, @Body() body: CreateConnectionDto) {
    return this.one(companyId, await this.directory.create(companyId, body));
  }

  @Get()
  @ApiOperation({ summary: "The company's connections" })
  @ApiOkResponse({ type: ConnectionListSchema })
  async list(@CurrentCompany() companyId: string) {
    return {
      items: await this.directory.withNextSync(companyId, await this.directory.list(companyId)),
    };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One connection (secrets masked)' })
  @ApiOkResponse({ type: ScheduledConnectionSchema })
  @ApiUuidParam()
  @ApiErrors(400, 404)
  async get(@CurrentCompany() companyId: string, @UuidParam() id: string) {
    return this.one(companyId, await this.directory.get(companyId, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a connection (admin); config is merged' })
  // Every field is optional, so an empty body (like `{}`) changes nothing.
  @ApiBody({ type: UpdateConnectionDto, required: false })
  @ApiOkResponse({ type: ScheduledConnectionSchema })
  @ApiUuidParam()
  @ApiErrors(400, 403, 404)
  async update(
    @CurrentCompany() companyId: string,
    @UuidParam() id: string,
    @Body() body: UpdateConnectionDto,
  ) {
    return this.one(companyId, await this.directory.update(companyId, id, body));
  }

  @Post(':id/test')
  @HttpCode(200)
  @ApiOperation({ summary: "Try the connection's credentials on the first page (admin)" })
  @ApiOkResponse({ type: ConnectionTestSchema })
  @ApiUuidParam()
  @ApiErrors(400, 403, 404)
  test(@CurrentCompany() companyId: string, @UuidParam() id: string) {
    return this.directory.test(companyId, id);
  }

  /** A new SCIM bearer token for a scim connection (shown once); the old one stops working. */
  @Post(':id/scim-token')
  @HttpCode(200)
  @ApiOperation({ summary: 'Rotate the SCIM bearer token of a scim connection (admin)' })
  @ApiOkResponse({ type: ScimTokenSchema })
  @ApiUuidParam()
  @ApiErrors(400, 403, 404, 409)
  rotateScimToken(@CurrentCompany() companyId: string, @UuidParam() id: string) {
    return this.directory.rotateScimToken(companyId, id);
  }

  /** 202: the sync runs in the background; watch it at the `Location`. */
  @Post(':id/sync')
  @HttpCode(202)
  @ApiOperation({ summary: 'Enqueue a sync (admin); the job runs in the background' })
  @ApiAcceptedResponse({
    type: EnqueuedJobSchema,
    headers: { Location: { description: '/api/sync-jobs/<jobId>', schema: { type: 'string' } } },
  })
  @ApiBody({ type: TriggerSyncDto, required: false })
  @ApiUuidParam()
  @ApiErrors(400, 403, 404, 409, 429)
  async sync(
    @CurrentCompany() companyId: string,
    @UuidParam() id: string,
    @Body() body: TriggerSyncDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return acceptedJob(res, await this.directory.triggerSync(companyId, id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a connection (admin); its jobs are cancelled' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiUuidParam()
  @ApiErrors(400, 403, 404)
  async remove(@CurrentCompany() companyId: string, @UuidParam() id: string): Promise<void> {
    await this.directory.remove(companyId, id);
  }

  private async one<V extends ConnectionView>(companyId: string, view: V) {
    const [answer] = await this.directory.withNextSync(companyId, [view]);
    return answer;
  }
}
