import { Controller, Get, Query } from '@nestjs/common';
import { CurrentCompany } from '../auth/decorators.js';
import { UuidParam } from '../common/uuid-param.js';
import { ListEmployeesQuery } from './dto/list-employees.dto.js';
import { EmployeesService } from './employees.service.js';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { API_KEY_AUTH } from '../openapi/openapi.js';
import {
  ApiErrors,
  ApiUuidParam,
  EmployeeDetailSchema,
  EmployeePageSchema,
} from '../openapi/schemas.js';

@ApiTags('employees')
@ApiBearerAuth(API_KEY_AUTH)
@ApiErrors(400, 401)
@Controller('api/employees')
export class EmployeesController {
  constructor(private readonly employees: EmployeesService) {}

  @Get()
  @ApiOperation({ summary: "The company's roster, in email order" })
  @ApiOkResponse({ type: EmployeePageSchema })
  list(@CurrentCompany() companyId: string, @Query() query: ListEmployeesQuery) {
    return this.employees.list(companyId, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One employee, with the groups it is a member of' })
  @ApiOkResponse({ type: EmployeeDetailSchema })
  @ApiUuidParam()
  @ApiErrors(404)
  get(@CurrentCompany() companyId: string, @UuidParam() id: string) {
    return this.employees.get(companyId, id);
  }
}
