import {
  createParamDecorator,
  type ExecutionContext,
  InternalServerErrorException,
  SetMetadata,
} from '@nestjs/common';
import type { AuthContext, AuthenticatedRequest } from './auth-context.js';

export const IS_PUBLIC = 'directory-sync:public';

/** Opts a route out of API-key authentication (health, platform routes with their own guard). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

function authOf(ctx: ExecutionContext): AuthContext {
  const auth = ctx.switchToHttp().getRequest<AuthenticatedRequest>().auth;
  // Only reachable if a route were both @Public() and asked for a company: a bug, not a 401.
  if (!auth) throw new InternalServerErrorException('no authenticated company on this route');
  return auth;
}

/** The id of the company whose API key made the request. */
export const CurrentCompany = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string => authOf(ctx).companyId,
);

/** The whole caller: company, API key and its role. */
export const CurrentAuth = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthContext =>
  authOf(ctx),
);
