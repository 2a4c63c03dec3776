import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { SYNC_JOB_STATUSES, type SyncJobStatus } from '../sync-job.entity.js';

export class TriggerSyncDto {
  /** Deactivate even beyond the connection's threshold, for this run only. */
  @ApiPropertyOptional({
    description: "Deactivate even beyond the connection's threshold, for this run only",
  })
  @IsOptional()
  @IsBoolean({ message: 'allowMassDeprovision must be true or false' })
  allowMassDeprovision?: boolean;
}

export class ListSyncJobsQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'connectionId must be a UUID' })
  connectionId?: string;

  @ApiPropertyOptional({ enum: SYNC_JOB_STATUSES })
  @IsOptional()
  @IsIn(SYNC_JOB_STATUSES, { message: `status must be one of ${SYNC_JOB_STATUSES.join(', ')}` })
  status?: SyncJobStatus;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer between 1 and 200' })
  @Min(1, { message: 'limit must be an integer between 1 and 200' })
  @Max(200, { message: 'limit must be an integer between 1 and 200' })
  limit?: number;

  /** The `nextCursor` of the previous page. */
  @ApiPropertyOptional({ format: 'uuid', description: 'The `nextCursor` of the previous page' })
  @IsOptional()
  @IsUUID('all', { message: 'cursor is invalid' })
  cursor?: string;
}
