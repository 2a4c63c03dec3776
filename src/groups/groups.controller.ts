import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentCompany } from '../auth/decorators.js';
import { UuidParam } from '../common/uuid-param.js';
import { EmployeesService } from '../employees/employees.service.js';
import { API_KEY_AUTH } from '../openapi/openapi.js';
import {
  ApiErrors,
  ApiUuidParam,
  EmployeePageSchema,
  GroupPageSchema,
  GroupSchema,
} from '../openapi/schemas.js';
import { ListGroupsQuery, ListMembersQuery } from './dto/list-groups.dto.js';
import { GroupsService } from './groups.service.js';

@ApiTags('groups')
@ApiBearerAuth(API_KEY_AUTH)
@ApiErrors(400, 401)
@Controller('api/groups')
export class GroupsController {
  constructor(
    private readonly groups: GroupsService,
    private readonly employees: EmployeesService,
  ) {}

  @Get()
  @ApiOperation({ summary: "The company's groups from every connection, in name order" })
  @ApiOkResponse({ type: GroupPageSchema })
  list(@CurrentCompany() companyId: string, @Query() query: ListGroupsQuery) {
    return this.groups.list(companyId, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One group, with how many members it has' })
  @ApiOkResponse({ type: GroupSchema })
  @ApiUuidParam()
  @ApiErrors(404)
  get(@CurrentCompany() companyId: string, @UuidParam() id: string) {
    return this.groups.get(companyId, id);
  }

  /** The roster's own listing, narrowed to the group: same items, same order, same cursor. */
  @Get(':id/members')
  @ApiOperation({ summary: "A group's members, in email order" })
  @ApiOkResponse({ type: EmployeePageSchema })
  @ApiUuidParam()
  @ApiErrors(404)
  async members(
    @CurrentCompany() companyId: string,
    @UuidParam() id: string,
    @Query() query: ListMembersQuery,
  ) {
    await this.groups.get(companyId, id);
    return this.employees.list(companyId, { ...query, groupId: id });
  }
}
