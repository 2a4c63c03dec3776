import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request } from 'express';
import type { DataSource } from 'typeorm';
import { bearerToken, hashToken, safeEqual } from '../auth/secret-token.js';
import { sqlRows } from '../database/sql.js';
import { ScimException } from './scim-error.js';
import { ScimRateLimit } from './scim-rate-limit.js';

/** The push connection a SCIM request was authenticated for. */
export interface ScimConnection {
  id: string;
  companyId: string;
}

export interface ScimRequest extends Request {
  scim?: ScimConnection;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `Authorization: Bearer <token>` of the `:connectionId` in the path, compared in constant
 * time with the stored hash. A wrong token, an unknown id and a connection that is not a scim
 * one all get the same 401, so the answer tells nothing about which ids exist.
 */
@Injectable()
export class ScimAuthGuard implements CanActivate {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly rateLimit: ScimRateLimit,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<ScimRequest>();
    const connectionId = request.params.connectionId;
    const token = bearerToken(request.headers.authorization);
    const [row] =
      typeof connectionId === 'string' && UUID.test(connectionId)
        ? await sqlRows<{ id: string; company_id: string; hash: string | null }>(
            this.dataSource,
            `SELECT id, company_id, scim_token_hash AS hash FROM directory_connection
              WHERE id = $1 AND type = 'scim'`,
            [connectionId],
          )
        : [];
    // Compare even when there is nothing to compare with: same work, same answer.
    const ok = safeEqual(hashToken(token ?? ''), row?.hash ?? '') && !!token && !!row?.hash;
    if (!ok || !row) {
      throw new ScimException(401, 'invalid SCIM bearer token for this connection');
    }
    await this.rateLimit.consume(row.id);
    request.scim = { id: row.id, companyId: row.company_id };
    return true;
  }
}
