import type { DataSourceOptions } from 'typeorm';
import { Foundation1764360000000 } from '../../migrations/1764360000000-Foundation.js';
import { Employees1764400000000 } from '../../migrations/1764400000000-Employees.js';
import { SyncJobs1764450000000 } from '../../migrations/1764450000000-SyncJobs.js';
import { QueueNotifyRetention1764500000000 } from '../../migrations/1764500000000-QueueNotifyRetention.js';
import { Scim1764550000000 } from '../../migrations/1764550000000-Scim.js';
import { OptionalEmail1764620000000 } from '../../migrations/1764620000000-OptionalEmail.js';
import { JobQueue1764650000000 } from '../../migrations/1764650000000-JobQueue.js';
import { Events1764700000000 } from '../../migrations/1764700000000-Events.js';
import { Webhooks1764710000000 } from '../../migrations/1764710000000-Webhooks.js';
import { Groups1764720000000 } from '../../migrations/1764720000000-Groups.js';
import { IncrementalSync1764730000000 } from '../../migrations/1764730000000-IncrementalSync.js';
import { JobCompanyFinished1764750000000 } from '../../migrations/1764750000000-JobCompanyFinished.js';
import { SyncWritePath1764760000000 } from '../../migrations/1764760000000-SyncWritePath.js';
import { ApiKey } from '../auth/api-key.entity.js';
import { Company } from '../companies/company.entity.js';
import { DirectoryConnection } from '../directory/directory-connection.entity.js';
import { Employee } from '../employees/employee.entity.js';

export const ENTITIES = [Company, ApiKey, DirectoryConnection, Employee];
export const MIGRATIONS = [
  Foundation1764360000000,
  Employees1764400000000,
  SyncJobs1764450000000,
  QueueNotifyRetention1764500000000,
  Scim1764550000000,
  OptionalEmail1764620000000,
  JobQueue1764650000000,
  Events1764700000000,
  Webhooks1764710000000,
  Groups1764720000000,
  IncrementalSync1764730000000,
  JobCompanyFinished1764750000000,
  SyncWritePath1764760000000,
];

/**
 * The one DataSource definition, used by the app (TypeOrmModule), the CLI, the tests and
 * `ormconfig.ts`. The schema only ever changes through the reviewed SQL in `migrations/`.
 */
export function dataSourceOptions(url: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    extra: { max: poolSize, application_name: 'directory-sync' },
  };
}
