import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiKeysService } from './api-keys.service.js';
import type { AuthenticatedRequest } from './auth-context.js';
import { IS_PUBLIC } from './decorators.js';
import { bearerToken } from './secret-token.js';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Global: every route needs a valid API key unless it is marked @Public(). The key decides
 * the company; viewer keys may only read (403 on any write), so a new write route is
 * admin-only without anyone having to remember it.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeysService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request.headers.authorization);
    if (!token) {
      throw new UnauthorizedException('missing API key: send "Authorization: Bearer <key>"');
    }
    const auth = await this.apiKeys.authenticate(token);
    if (!auth) throw new UnauthorizedException('invalid or revoked API key');
    if (auth.role !== 'admin' && !READ_METHODS.has(request.method)) {
      throw new ForbiddenException('this API key is read-only (role viewer)');
    }
    request.auth = auth;
    return true;
  }
}
