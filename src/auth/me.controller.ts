import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { API_KEY_AUTH } from '../openapi/openapi.js';
import { ApiErrors, CallerSchema } from '../openapi/schemas.js';
import type { AuthContext } from './auth-context.js';
import { ApiKeysService } from './api-keys.service.js';
import { CurrentAuth } from './decorators.js';

/** Who the presented key is: a client (the dashboard) learns its company and role here. */
@ApiTags('api-keys')
@ApiBearerAuth(API_KEY_AUTH)
@ApiErrors(401)
@Controller('api/me')
export class MeController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Get()
  @ApiOperation({ summary: 'The caller: its company, its API key and the key’s role' })
  @ApiOkResponse({ type: CallerSchema })
  me(@CurrentAuth() auth: AuthContext) {
    return this.apiKeys.describe(auth);
  }
}
