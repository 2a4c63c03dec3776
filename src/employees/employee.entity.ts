import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** One person of a company's roster. Never deleted by a sync: deactivated. */
@Entity('employee')
export class Employee {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'company_id' })
  companyId!: string;

  /** As the source spelled it (trimmed); optional; unique per company ignoring case. */
  @Column('text', { nullable: true })
  email!: string | null;

  @Column('text', { name: 'first_name', nullable: true })
  firstName!: string | null;

  @Column('text', { name: 'last_name', nullable: true })
  lastName!: string | null;

  @Column('text', { nullable: true })
  department!: string | null;

  @Column('text', { nullable: true })
  title!: string | null;

  @Column('boolean', { name: 'mfa_enabled', nullable: true })
  mfaEnabled!: boolean | null;

  @Column('boolean')
  active!: boolean;

  @Column('uuid', { name: 'source_connection_id', nullable: true })
  sourceConnectionId!: string | null;

  @Column('text', { name: 'external_id', nullable: true })
  externalId!: string | null;

  @Column('timestamptz', { name: 'deactivated_at', nullable: true })
  deactivatedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
