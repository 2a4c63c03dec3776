import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request } from 'express';
import type { AppConfig } from '../config/config.schema.js';
import { bearerToken, safeEqual } from './secret-token.js';

/**
 * Platform routes (creating companies) take `PLATFORM_ADMIN_TOKEN`, compared in constant
 * time. Without the variable the routes do not exist (404), so they cannot be probed.
 */
@Injectable()
export class PlatformAdminGuard implements CanActivate {
  constructor(private readonly config: ConfigService<AppConfig, true>) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    const expected = this.config.get('platformAdminToken', { infer: true });
    // The same answer as for a route that does not exist.
    if (!expected) throw new NotFoundException(`Cannot ${request.method} ${request.path}`);
    const token = bearerToken(request.headers.authorization);
    if (!token || !safeEqual(token, expected)) {
      throw new UnauthorizedException('missing or invalid platform admin token');
    }
    return true;
  }
}
