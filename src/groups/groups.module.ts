import { Module } from '@nestjs/common';
import { EmployeesModule } from '../employees/employees.module.js';
import { GroupsController } from './groups.controller.js';
import { GroupsService } from './groups.service.js';

/** The groups of every source, read-only (syncs and SCIM pushes write them). */
@Module({
  imports: [EmployeesModule],
  controllers: [GroupsController],
  providers: [GroupsService],
})
export class GroupsModule {}
