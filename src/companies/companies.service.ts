import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ApiKeysService } from '../auth/api-keys.service.js';
import { Company } from './company.entity.js';

export interface CreatedCompany {
  company: { id: string; name: string; createdAt: Date };
  apiKey: { id: string; key: string; role: 'admin' };
}

@Injectable()
export class CompaniesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly apiKeys: ApiKeysService,
  ) {}

  /** A company and its first admin key, together or not at all. */
  create(name: string): Promise<CreatedCompany> {
    return this.dataSource.transaction(async (tx) => {
      const repo = tx.getRepository(Company);
      const company = await repo.save(repo.create({ id: randomUUID(), name: name.trim() }));
      const key = await this.apiKeys.create(company.id, 'initial admin key', 'admin', tx);
      return {
        company: { id: company.id, name: company.name, createdAt: company.createdAt },
        apiKey: { id: key.id, key: key.key, role: 'admin' },
      };
    });
  }
}
