import {
  ConflictException,
  Injectable,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { IsNull, type EntityManager, type Repository } from 'typeorm';
import type { AuthContext } from './auth-context.js';
import { ApiKey, type ApiKeyRole } from './api-key.entity.js';
import type { ApiKeyView } from './api-key-view.js';
import { generateToken, hashToken } from './secret-token.js';
import { EventLog } from '../events/event-log.js';

/** Who a key is: what a client (the dashboard) needs to know about its own key. */
export interface CallerView {
  companyId: string;
  companyName: string;
  keyId: string;
  keyName: string;
  role: ApiKeyRole;
}

/** `last_used_at` is refreshed at most this often, so reads do not each cost a write. */
const LAST_USED_RESOLUTION_MS = 60_000;

@Injectable()
export class ApiKeysService {
  constructor(
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    private readonly events: EventLog,
  ) {}

  /**
   * Creates a key (with its `api_key.created` event) in the transaction `tx`, or in one of
   * its own; the returned `key` is the only time its plaintext exists outside the caller.
   */
  async create(
    companyId: string,
    name: string,
    role: ApiKeyRole,
    tx?: EntityManager,
  ): Promise<ApiKeyView & { key: string }> {
    if (!tx) return this.keys.manager.transaction((own) => this.create(companyId, name, role, own));
    const { token, prefix, hash } = generateToken('dsk');
    const repo = tx.getRepository(ApiKey);
    const view = toView(
      await repo.save(
        repo.create({
          id: randomUUID(),
          companyId,
          name: name.trim(),
          role,
          keyHash: hash,
          prefix,
          lastUsedAt: null,
          revokedAt: null,
        }),
      ),
    );
    await this.events.append(tx, {
      companyId,
      connectionId: null,
      type: 'api_key.created',
      data: view,
    });
    return { ...view, key: token };
  }

  async list(companyId: string): Promise<ApiKeyView[]> {
    const keys = await this.keys.find({
      where: { companyId, revokedAt: IsNull() },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    return keys.map(toView);
  }

  /** Revokes at once. The company's last admin key cannot go: nobody could manage it then. */
  async revoke(companyId: string, id: string): Promise<void> {
    await this.keys.manager.transaction(async (tx) => {
      // A company's revocations take turns, with the company row as the lock: two admin keys
      // revoking each other at once can neither both pass the last-admin check nor deadlock
      // (locking the key rows themselves did, in opposite orders). NO KEY UPDATE does not
      // block inserts that reference the company.
      await tx.query('SELECT 1 FROM company WHERE id = $1 FOR NO KEY UPDATE', [companyId]);
      const repo = tx.getRepository(ApiKey);
      const key = await repo.findOne({ where: { id, companyId, revokedAt: IsNull() } });
      if (!key) throw new NotFoundException('API key not found');
      if (key.role === 'admin') {
        const admins = await repo.count({
          where: { companyId, role: 'admin', revokedAt: IsNull() },
        });
        if (admins <= 1) {
          throw new ConflictException('the last admin key of a company cannot be revoked');
        }
      }
      const revokedAt = new Date();
      await repo.update({ id }, { revokedAt });
      await this.events.append(tx, {
        companyId,
        connectionId: null,
        type: 'api_key.revoked',
        data: { ...toView(key), revokedAt },
      });
    });
  }

  /** The authenticated caller with the names of its company and key. */
  async describe(auth: AuthContext): Promise<CallerView> {
    const [row] = await this.keys.manager.query<CallerView[]>(
      `SELECT k.company_id AS "companyId", c.name AS "companyName", k.id AS "keyId",
              k.name AS "keyName", k.role
         FROM api_key k JOIN company c ON c.id = k.company_id
        WHERE k.id = $1 AND k.company_id = $2`,
      [auth.apiKeyId, auth.companyId],
    );
    // The guard authenticated this key a moment ago; a revocation since then is a 401 too.
    if (!row) throw new UnauthorizedException('invalid or revoked API key');
    return row;
  }

  /** The caller behind a presented key, or undefined for an unknown or revoked key. */
  async authenticate(presented: string): Promise<AuthContext | undefined> {
    const key = await this.keys.findOne({
      where: { keyHash: hashToken(presented), revokedAt: IsNull() },
    });
    if (!key) return undefined;
    if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.keys.update({ id: key.id }, { lastUsedAt: new Date() });
    }
    return { companyId: key.companyId, apiKeyId: key.id, role: key.role };
  }
}

function toView(key: ApiKey): ApiKeyView {
  return {
    id: key.id,
    name: key.name,
    role: key.role,
    prefix: key.prefix,
    lastUsedAt: key.lastUsedAt,
    createdAt: key.createdAt,
  };
}
