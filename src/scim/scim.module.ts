import { Module } from '@nestjs/common';
import { ScimAuthGuard } from './scim-auth.guard.js';
import { ScimGroupsService } from './scim-groups.service.js';
import { ScimRateLimit } from './scim-rate-limit.js';
import { ScimUsersService } from './scim-users.service.js';
import { ScimController } from './scim.controller.js';

/** SCIM 2.0 service provider of every `scim` connection: /scim/v2/<connection id>/… */
@Module({
  controllers: [ScimController],
  providers: [ScimAuthGuard, ScimRateLimit, ScimUsersService, ScimGroupsService],
})
export class ScimModule {}
