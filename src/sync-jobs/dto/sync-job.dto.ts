import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsUUID, isUUID } from 'class-validator';
import { CursorCodec, IsCursor, PageLimit } from '../../common/paging.js';
import { IsOmittable } from '../../common/validation.js';
import { JOB_STATUSES, type JobStatus } from '../../queue/job.js';

/** Pages are newest first: a cursor is the last job shown. */
export type SyncJobCursor = { id: string };
export const SYNC_JOB_CURSOR = new CursorCodec<SyncJobCursor>({ id: (id) => isUUID(id) });

export class TriggerSyncDto {
  /** Deactivate even beyond the connection's threshold, for this run only. */
  @ApiPropertyOptional({
    description: "Deactivate even beyond the connection's threshold, for this run only",
  })
  @IsOmittable()
  @IsBoolean({ message: 'allowMassDeprovision must be true or false' })
  allowMassDeprovision?: boolean;

  @ApiPropertyOptional({
    description:
      'Run without writing anything; the job shows who would be created, updated, ' +
      'deactivated and reactivated (first 1,000 of each)',
  })
  @IsOmittable()
  @IsBoolean({ message: 'dryRun must be true or false' })
  dryRun?: boolean;
}

export class ListSyncJobsQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'connectionId must be a UUID' })
  connectionId?: string;

  @ApiPropertyOptional({ enum: JOB_STATUSES })
  @IsOptional()
  @IsIn(JOB_STATUSES, { message: `status must be one of ${JOB_STATUSES.join(', ')}` })
  status?: JobStatus;

  @PageLimit(200, 50)
  limit?: number;

  /** The `nextCursor` of the previous page. */
  @IsCursor(SYNC_JOB_CURSOR)
  cursor?: SyncJobCursor;
}
