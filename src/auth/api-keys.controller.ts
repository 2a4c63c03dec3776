import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { UuidParam } from '../common/uuid-param.js';
import { ApiKeysService } from './api-keys.service.js';
import { CurrentCompany } from './decorators.js';
import { CreateApiKeyDto } from './dto/create-api-key.dto.js';

@Controller('api/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  create(@CurrentCompany() companyId: string, @Body() body: CreateApiKeyDto) {
    return this.apiKeys.create(companyId, body.name, body.role);
  }

  @Get()
  async list(@CurrentCompany() companyId: string) {
    return { items: await this.apiKeys.list(companyId) };
  }

  @Delete(':id')
  @HttpCode(204)
  async revoke(@CurrentCompany() companyId: string, @UuidParam() id: string): Promise<void> {
    await this.apiKeys.revoke(companyId, id);
  }
}
