import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { SyncStats } from '../sync/sync.service.js';

export type SyncJobStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export const SYNC_JOB_STATUSES: readonly SyncJobStatus[] = [
  'PENDING',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
];
export type SyncJobTrigger = 'manual' | 'schedule' | 'retry';

@Entity('sync_job')
export class SyncJob {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'connection_id', nullable: true })
  connectionId!: string | null;

  @Column('uuid', { name: 'company_id' })
  companyId!: string;

  @Column('text')
  status!: SyncJobStatus;

  @Column('text')
  trigger!: SyncJobTrigger;

  @Column('integer')
  attempts!: number;

  @Column('integer', { name: 'max_attempts' })
  maxAttempts!: number;

  @Column('text', { name: 'last_error', nullable: true })
  lastError!: string | null;

  @Column('timestamptz', { name: 'run_after' })
  runAfter!: Date;

  @Column('text', { name: 'locked_by', nullable: true })
  lockedBy!: string | null;

  @Column('timestamptz', { name: 'locked_until', nullable: true })
  lockedUntil!: Date | null;

  @Column('boolean', { name: 'cancel_requested' })
  cancelRequested!: boolean;

  @Column('boolean', { name: 'allow_mass_deprovision' })
  allowMassDeprovision!: boolean;

  @Column('jsonb', { nullable: true })
  stats!: SyncStats | null;

  @Column('timestamptz', { name: 'started_at', nullable: true })
  startedAt!: Date | null;

  @Column('timestamptz', { name: 'finished_at', nullable: true })
  finishedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
