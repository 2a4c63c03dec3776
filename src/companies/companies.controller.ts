import { Body, Controller, Post, UseGuards } from '@nestjs/common';
import { Public } from '../auth/decorators.js';
import { PlatformAdminGuard } from '../auth/platform-admin.guard.js';
import { CompaniesService } from './companies.service.js';
import { CreateCompanyDto } from './dto/create-company.dto.js';
import { ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PLATFORM_AUTH } from '../openapi/openapi.js';
import { ApiErrors, CreatedCompanySchema } from '../openapi/schemas.js';

/** Platform operators only: guarded by PLATFORM_ADMIN_TOKEN instead of a company API key. */
@ApiTags('platform')
@ApiBearerAuth(PLATFORM_AUTH)
@ApiErrors(400, 401, 404)
@Controller('api/admin/companies')
@Public()
@UseGuards(PlatformAdminGuard)
export class CompaniesController {
  constructor(private readonly companies: CompaniesService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a company and its first admin API key (PLATFORM_ADMIN_TOKEN)',
    description: 'Answers 404 when PLATFORM_ADMIN_TOKEN is not configured.',
  })
  @ApiCreatedResponse({ type: CreatedCompanySchema })
  create(@Body() body: CreateCompanyDto) {
    return this.companies.create(body.name);
  }
}
