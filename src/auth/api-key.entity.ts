import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export type ApiKeyRole = 'admin' | 'viewer';
export const API_KEY_ROLES: readonly ApiKeyRole[] = ['admin', 'viewer'];

@Entity('api_key')
export class ApiKey {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'company_id' })
  companyId!: string;

  @Column('text')
  name!: string;

  @Column('text')
  role!: ApiKeyRole;

  /** SHA-256 of the whole key, hex. The key itself is never stored. */
  @Column('text', { name: 'key_hash' })
  keyHash!: string;

  /** The first characters of the key, so people can tell their keys apart. */
  @Column('text')
  prefix!: string;

  @Column('timestamptz', { name: 'last_used_at', nullable: true })
  lastUsedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;
}
