import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ConnectionType } from './connection-types.js';

export type ConnectionStatus = 'PENDING' | 'ACTIVE' | 'ERROR';

@Entity('directory_connection')
export class DirectoryConnection {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'company_id' })
  companyId!: string;

  @Column('text')
  name!: string;

  @Column('text')
  type!: ConnectionType;

  @Column('text')
  status!: ConnectionStatus;

  /** AES-256-GCM of the provider config, with the row id as associated data. */
  @Column('bytea', { name: 'config_encrypted' })
  configEncrypted!: Buffer;

  /** SHA-256 (hex) of the SCIM bearer token; scim connections only. */
  @Column('text', { name: 'scim_token_hash', nullable: true })
  scimTokenHash!: string | null;

  @Column('integer', { name: 'sync_interval_minutes', nullable: true })
  syncIntervalMinutes!: number | null;

  @Column('integer', { name: 'max_attempts' })
  maxAttempts!: number;

  @Column('integer', { name: 'deprovision_threshold_percent' })
  deprovisionThresholdPercent!: number;

  /** Connections with a change feed: at least one full cycle every this many hours. */
  @Column('integer', { name: 'full_sync_interval_hours' })
  fullSyncIntervalHours!: number;

  @Column('timestamptz', { name: 'last_sync_at', nullable: true })
  lastSyncAt!: Date | null;

  @Column('integer', { name: 'last_sync_count', nullable: true })
  lastSyncCount!: number | null;

  @Column('text', { name: 'last_error', nullable: true })
  lastError!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
