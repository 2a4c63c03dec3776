import { Body, Controller, Delete, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { CurrentCompany } from '../auth/decorators.js';
import { UuidParam } from '../common/uuid-param.js';
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

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentCompany() companyId: string, @UuidParam() id: string): Promise<void> {
    await this.directory.remove(companyId, id);
  }
}
