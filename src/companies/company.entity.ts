import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity('company')
export class Company {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
