import { Controller, Get, Query } from '@nestjs/common';
import { CurrentCompany } from '../auth/decorators.js';
import { ListEmployeesQuery } from './dto/list-employees.dto.js';
import { EmployeesService } from './employees.service.js';

@Controller('api/employees')
export class EmployeesController {
  constructor(private readonly employees: EmployeesService) {}

  @Get()
  list(@CurrentCompany() companyId: string, @Query() query: ListEmployeesQuery) {
    return this.employees.list(companyId, query);
  }
}
