import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { UuidParam } from '../common/uuid-param.js';
import { ApiKeysService } from './api-keys.service.js';
import { CurrentCompany } from './decorators.js';
import { CreateApiKeyDto } from './dto/create-api-key.dto.js';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { API_KEY_AUTH } from '../openapi/openapi.js';
import {
  ApiErrors,
  ApiKeyListSchema,
  ApiUuidParam,
  CreatedApiKeySchema,
} from '../openapi/schemas.js';

@ApiTags('api-keys')
@ApiBearerAuth(API_KEY_AUTH)
@ApiErrors(401)
@Controller('api/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @ApiOperation({ summary: 'Create an API key (admin); the key is shown this once' })
  @ApiCreatedResponse({ type: CreatedApiKeySchema })
  @ApiErrors(400, 403)
  create(@CurrentCompany() companyId: string, @Body() body: CreateApiKeyDto) {
    return this.apiKeys.create(companyId, body.name, body.role);
  }

  @Get()
  @ApiOperation({ summary: "The company's API keys" })
  @ApiOkResponse({ type: ApiKeyListSchema })
  async list(@CurrentCompany() companyId: string) {
    return { items: await this.apiKeys.list(companyId) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a key (admin); not the last admin key' })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiUuidParam()
  @ApiErrors(400, 403, 404, 409)
  async revoke(@CurrentCompany() companyId: string, @UuidParam() id: string): Promise<void> {
    await this.apiKeys.revoke(companyId, id);
  }
}
