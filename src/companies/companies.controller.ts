import { Body, Controller, Post, UseGuards } from '@nestjs/common';
import { Public } from '../auth/decorators.js';
import { PlatformAdminGuard } from '../auth/platform-admin.guard.js';
import { CompaniesService } from './companies.service.js';
import { CreateCompanyDto } from './dto/create-company.dto.js';

/** Platform operators only: guarded by PLATFORM_ADMIN_TOKEN instead of a company API key. */
@Controller('api/admin/companies')
@Public()
@UseGuards(PlatformAdminGuard)
export class CompaniesController {
  constructor(private readonly companies: CompaniesService) {}

  @Post()
  create(@Body() body: CreateCompanyDto) {
    return this.companies.create(body.name);
  }
}
