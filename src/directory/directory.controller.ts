import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { CurrentCompany } from '../auth/decorators.js';
import { UuidParam } from '../common/uuid-param.js';
import { TriggerSyncDto } from '../sync-jobs/dto/sync-job.dto.js';
import { acceptedJob } from '../sync-jobs/sync-jobs.controller.js';
import { DirectoryService } from './directory.service.js';
import { CreateConnectionDto, UpdateConnectionDto } from './dto/connection.dto.js';

@Controller('api/directory')
export class DirectoryController {
  constructor(private readonly directory: DirectoryService) {}

  @Post()
  create(@CurrentCompany() companyId: string, @Body() body: CreateConnectionDto) {
    return this.directory.create(companyId, body);
  }

  @Get()
  async list(@CurrentCompany() companyId: string) {
    return { items: await this.directory.list(companyId) };
  }

  @Get(':id')
  get(@CurrentCompany() companyId: string, @UuidParam() id: string) {
    return this.directory.get(companyId, id);
  }

  @Patch(':id')
  update(
    @CurrentCompany() companyId: string,
    @UuidParam() id: string,
    @Body() body: UpdateConnectionDto,
  ) {
    return this.directory.update(companyId, id, body);
  }

  @Post(':id/test')
  @HttpCode(200)
  test(@CurrentCompany() companyId: string, @UuidParam() id: string) {
    return this.directory.test(companyId, id);
  }

  /** 202: the sync runs in the background; watch it at the `Location`. */
  @Post(':id/sync')
  @HttpCode(202)
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
  async remove(@CurrentCompany() companyId: string, @UuidParam() id: string): Promise<void> {
    await this.directory.remove(companyId, id);
  }
}
