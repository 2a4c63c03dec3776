import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { Repository } from 'typeorm';
import { generateToken } from '../auth/secret-token.js';
import type { AppConfig } from '../config/config.schema.js';
import { sqlRows } from '../database/sql.js';
import { EventLog } from '../events/event-log.js';
import { SyncJobService, type EnqueueResult } from '../sync-jobs/sync-job.service.js';
import { TriggerRateLimit } from '../sync-jobs/trigger-rate-limit.js';
import {
  maskSecrets,
  mergeConfigPatch,
  validateConnectionConfig,
  type ProviderConfig,
} from './connection-config.js';
import { ConfigCrypto } from './config-crypto.js';
import type { ConnectionType } from './connection-types.js';
import type { ConnectionView } from './connection-view.js';
import { DirectoryConnection } from './directory-connection.entity.js';
import type { CreateConnectionDto, UpdateConnectionDto } from './dto/connection.dto.js';
import {
  ProviderError,
  type ConnectionTestResult,
  type FeedCursor,
} from './providers/directory-provider.js';
import { ProviderRegistry } from './providers/provider-registry.js';

export interface SyncTarget {
  companyId: string;
  connectionId: string;
  type: ConnectionType;
  config: ProviderConfig;
  deprovisionThresholdPercent: number;
  fullSyncIntervalHours: number;
  /** Where the change feed stands, when a finished run left a cursor. */
  feed: StoredCursor | null;
  /** The config as stored: a run saves its cursor only if the config is still this one. */
  configCiphertext: Buffer;
}

/** A connection's change-feed cursor, as the last finished run left it. */
export interface StoredCursor {
  cursor: FeedCursor;
  /** When the full cycle that began this chain of cursors started. */
  fullSyncAt: Date;
}

type SyncTargetRow = Pick<
  DirectoryConnection,
  | 'id'
  | 'companyId'
  | 'type'
  | 'configEncrypted'
  | 'deprovisionThresholdPercent'
  | 'fullSyncIntervalHours'
> & { cursor: FeedCursor | null; fullSyncAt: Date | null };

const DEFAULT_DEPROVISION_THRESHOLD_PERCENT = 20;
const DEFAULT_FULL_SYNC_INTERVAL_HOURS = 24;
const TEST_TIMEOUT_MS = 15_000;

@Injectable()
export class DirectoryService {
  constructor(
    @InjectRepository(DirectoryConnection)
    private readonly connections: Repository<DirectoryConnection>,
    @Inject(ConfigCrypto) private readonly crypto: ConfigCrypto,
    private readonly config: ConfigService<AppConfig, true>,
    @Inject(ProviderRegistry) private readonly providers: ProviderRegistry,
    private readonly jobs: SyncJobService,
    private readonly rateLimit: TriggerRateLimit,
    private readonly events: EventLog,
  ) {}

  private get allowPrivateNetworks(): boolean {
    return this.config.get('directoryAllowPrivateNetworks', { infer: true });
  }

  /** A scim connection's bearer token is in the result, this once. */
  async create(
    companyId: string,
    dto: CreateConnectionDto,
  ): Promise<ConnectionView & { scimToken?: string }> {
    const config = validateConnectionConfig(dto.type, dto.config ?? {}, this.allowPrivateNetworks);
    const id = randomUUID();
    const scim = dto.type === 'scim' ? generateToken('scim') : undefined;
    const view = await this.saveScheduled(
      'connection.created',
      config,
      this.connections.create({
        id,
        companyId,
        name: dto.name.trim(),
        type: dto.type,
        status: 'PENDING',
        configEncrypted: this.crypto.encrypt(config, id),
        scimTokenHash: scim?.hash ?? null,
        syncIntervalMinutes: dto.syncIntervalMinutes ?? null,
        maxAttempts: dto.maxAttempts ?? this.config.get('syncMaxAttempts', { infer: true }),
        deprovisionThresholdPercent:
          dto.deprovisionThresholdPercent ?? DEFAULT_DEPROVISION_THRESHOLD_PERCENT,
        fullSyncIntervalHours: dto.fullSyncIntervalHours ?? DEFAULT_FULL_SYNC_INTERVAL_HOURS,
      }),
    );
    return scim ? { ...view, scimToken: scim.token } : view;
  }

  async list(companyId: string): Promise<ConnectionView[]> {
    const rows = await this.connections.find({
      where: { companyId },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    return rows.map((row) => this.toView(row));
  }

  async get(companyId: string, id: string): Promise<ConnectionView> {
    return this.toView(await this.find(companyId, id));
  }

  async update(companyId: string, id: string, dto: UpdateConnectionDto): Promise<ConnectionView> {
    const row = await this.find(companyId, id);
    const before = this.toView(row);
    let config = this.decrypt(row);
    const configBefore = JSON.stringify(config);
    if (dto.config !== undefined) {
      const merged = mergeConfigPatch(row.type, config, dto.config);
      config = validateConnectionConfig(row.type, merged, this.allowPrivateNetworks);
      row.configEncrypted = this.crypto.encrypt(config, row.id);
    }
    if (dto.name !== undefined) row.name = dto.name.trim();
    if (dto.syncIntervalMinutes !== undefined) row.syncIntervalMinutes = dto.syncIntervalMinutes;
    if (dto.maxAttempts !== undefined) row.maxAttempts = dto.maxAttempts;
    if (dto.deprovisionThresholdPercent !== undefined) {
      row.deprovisionThresholdPercent = dto.deprovisionThresholdPercent;
    }
    if (dto.fullSyncIntervalHours !== undefined) {
      row.fullSyncIntervalHours = dto.fullSyncIntervalHours;
    }
    const configChanged = JSON.stringify(config) !== configBefore;
    const changed = configChanged || SETTINGS.some((field) => row[field] !== before[field]);
    // Saved either way (a config write re-encrypts under the current key), but a PATCH that
    // changes nothing is no event. A cursor read under another config (another filter, base
    // DN or tenant) says nothing about this one: the next cycle is full.
    return this.saveScheduled(changed ? 'connection.updated' : undefined, config, row, {
      dropCursor: configChanged,
    });
  }

  /** Saves a connection, its periodic syncs and its event (if any) in one transaction. */
  private async saveScheduled(
    event: 'connection.created' | 'connection.updated' | undefined,
    config: ProviderConfig,
    row: DirectoryConnection,
    { dropCursor = false } = {},
  ): Promise<ConnectionView> {
    return this.connections.manager.transaction(async (tx) => {
      const saved = await tx.getRepository(DirectoryConnection).save(row);
      if (dropCursor) {
        await tx.query(`DELETE FROM sync_cursor WHERE connection_id = $1`, [saved.id]);
      }
      // scim connections are pushed to: there is nothing to pull on a schedule.
      const interval = saved.type === 'scim' ? null : saved.syncIntervalMinutes;
      await this.jobs.schedule(tx, saved, interval);
      const view = this.toView(saved, config);
      if (!event) return view;
      await this.events.append(tx, {
        companyId: saved.companyId,
        connectionId: saved.id,
        type: event,
        data: view,
      });
      return view;
    });
  }

  /**
   * Runs the provider's connection test within 15 s. Always answers: a failure is
   * `{ok: false, error}` with a message a person can act on.
   */
  async test(companyId: string, id: string): Promise<ConnectionTestResult> {
    const row = await this.find(companyId, id);
    const signal = AbortSignal.timeout(TEST_TIMEOUT_MS);
    try {
      return await this.providers.get(row.type).test(this.decrypt(row), signal);
    } catch (error) {
      if (error instanceof ProviderError) return { ok: false, error: error.message };
      if (signal.aborted) {
        return {
          ok: false,
          error: `the directory did not answer within ${TEST_TIMEOUT_MS / 1000} s`,
        };
      }
      throw error;
    }
  }

  /**
   * What a sync run needs, for the job's own company only. Plain SQL: this is on every sync
   * job's path, where the repository's query building cost more than the query (~15 % of a
   * trivial job).
   */
  async loadForSync(companyId: string, id: string): Promise<SyncTarget> {
    const [row] = await sqlRows<SyncTargetRow>(
      this.connections.manager,
      `SELECT c.id, c.company_id AS "companyId", c.type, c.config_encrypted AS "configEncrypted",
              c.deprovision_threshold_percent AS "deprovisionThresholdPercent",
              c.full_sync_interval_hours AS "fullSyncIntervalHours",
              s.cursor, s.full_sync_at AS "fullSyncAt"
         FROM directory_connection c LEFT JOIN sync_cursor s ON s.connection_id = c.id
        WHERE c.id = $1 AND c.company_id = $2`,
      [id, companyId],
    );
    if (!row) throw notFound();
    return this.syncTarget(row);
  }

  /** A connection row (already scoped to its company) as a sync run needs it. */
  private syncTarget(row: SyncTargetRow): SyncTarget {
    return {
      companyId: row.companyId,
      connectionId: row.id,
      type: row.type,
      config: this.crypto.decrypt(row.configEncrypted, row.id),
      deprovisionThresholdPercent: row.deprovisionThresholdPercent,
      fullSyncIntervalHours: row.fullSyncIntervalHours,
      feed:
        row.cursor && row.fullSyncAt ? { cursor: row.cursor, fullSyncAt: row.fullSyncAt } : null,
      configCiphertext: row.configEncrypted,
    };
  }

  /**
   * Enqueues a manual sync. scim connections are pushed to and have nothing to pull (409).
   */
  async triggerSync(
    companyId: string,
    id: string,
    options: { allowMassDeprovision?: boolean; dryRun?: boolean },
  ): Promise<EnqueueResult> {
    const row = await this.find(companyId, id);
    if (row.type === 'scim') {
      throw new ConflictException(
        'scim connections are pushed to by the IdP; there is nothing to sync',
      );
    }
    await this.rateLimit.consume(companyId);
    return this.jobs.enqueue(row, 'manual', options);
  }

  /** Replaces a scim connection's bearer token: 409 for other types. */
  async rotateScimToken(companyId: string, id: string): Promise<{ scimToken: string }> {
    const row = await this.find(companyId, id);
    if (row.type !== 'scim') {
      throw new ConflictException('only scim connections have a SCIM token');
    }
    const scim = generateToken('scim');
    await this.connections.update({ id: row.id, companyId }, { scimTokenHash: scim.hash });
    return { scimToken: scim.token };
  }

  /**
   * Its waiting jobs are cancelled and a running one is asked to stop; the jobs stay listed.
   * The `connection.deleted` event carries its last state.
   */
  async remove(companyId: string, id: string): Promise<void> {
    await this.connections.manager.transaction(async (tx) => {
      // Cancel first: the delete then detaches the jobs (connection_id SET NULL). Jobs before
      // the connection is also the order in which a job's outcome locks them.
      await this.jobs.cancelForConnection(tx, id, companyId);
      const repo = tx.getRepository(DirectoryConnection);
      const row = await repo.findOne({
        where: { id, companyId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!row) throw notFound();
      await repo.delete({ id, companyId });
      await this.events.append(tx, {
        companyId,
        connectionId: id,
        type: 'connection.deleted',
        data: this.toView(row),
      });
    });
  }

  /** Company-scoped lookup: another company's connection is exactly as absent as a missing one. */
  private async find(companyId: string, id: string): Promise<DirectoryConnection> {
    const row = await this.connections.findOneBy({ id, companyId });
    if (!row) throw notFound();
    return row;
  }

  private decrypt(row: DirectoryConnection): ProviderConfig {
    return this.crypto.decrypt(row.configEncrypted, row.id);
  }

  private toView(row: DirectoryConnection, config = this.decrypt(row)): ConnectionView {
    return {
      id: row.id,
      name: row.name,
      type: row.type,
      status: row.status,
      config: maskSecrets(row.type, config),
      syncIntervalMinutes: row.syncIntervalMinutes,
      maxAttempts: row.maxAttempts,
      deprovisionThresholdPercent: row.deprovisionThresholdPercent,
      fullSyncIntervalHours: row.fullSyncIntervalHours,
      lastSyncAt: row.lastSyncAt,
      lastSyncCount: row.lastSyncCount,
      lastError: row.lastError,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
      ...(row.type === 'scim' ? { scimBaseUrl: `/scim/v2/${row.id}` } : {}),
    };
  }

  /**
   * The views as the API answers them: with `nextSyncAt`, when the scheduler will next start
   * a sync (null: no interval, or scim). Read at answer time, so not part of the view that
   * events carry (it moves with time and with every finished job, without a change).
   */
  async withNextSync<V extends ConnectionView>(
    companyId: string,
    views: V[],
  ): Promise<(V & { nextSyncAt: Date | null })[]> {
    const next = await this.jobs.nextSyncs(
      companyId,
      views.map((view) => view.id),
    );
    return views.map((view) => ({ ...view, nextSyncAt: next.get(view.id) ?? null }));
  }
}

/** The settings a PATCH may change besides `config`. */
const SETTINGS = [
  'name',
  'syncIntervalMinutes',
  'maxAttempts',
  'deprovisionThresholdPercent',
  'fullSyncIntervalHours',
] as const satisfies readonly (keyof DirectoryConnection & keyof ConnectionView)[];

function notFound(): NotFoundException {
  return new NotFoundException('directory connection not found');
}
