import { ApiProperty } from '@nestjs/swagger';

/** `GET /api/queue/stats` in the OpenAPI document. */

const DATE = { type: String, format: 'date-time' } as const;
const COUNT = { type: 'integer', minimum: 0 } as const;

export class QueueKindDepthSchema {
  @ApiProperty({ example: 'sync', description: 'The kind of work (sync, webhook, …)' })
  kind!: string;
  @ApiProperty({ ...COUNT, description: 'Waiting: PENDING, due now or later' }) pending!: number;
  @ApiProperty({ ...COUNT, description: 'PENDING and due: waiting for a worker now' })
  due!: number;
  @ApiProperty({ ...COUNT, description: 'RUNNING' }) running!: number;
}

export class QueueMinuteSchema {
  @ApiProperty({ ...DATE, description: 'The minute (UTC, seconds zero)' }) start!: string;
  @ApiProperty(COUNT) succeeded!: number;
  @ApiProperty(COUNT) failed!: number;
  @ApiProperty(COUNT) cancelled!: number;
}

export class QueueStatsSchema {
  @ApiProperty({ ...DATE, description: "The database's time of the figures" }) at!: string;
  @ApiProperty({
    type: [QueueKindDepthSchema],
    description: 'Kinds with jobs waiting or running now, by name',
  })
  kinds!: QueueKindDepthSchema[];
  /** Inline, not a $ref: OpenAPI 3.0's `nullable` does not reach into a referenced schema. */
  @ApiProperty({
    type: 'object',
    nullable: true,
    description: 'The job that has waited longest since it became due; null when none is due',
    properties: {
      jobId: { type: 'string', format: 'uuid' },
      kind: { type: 'string' },
      runAfter: { type: 'string', format: 'date-time' },
      ageSeconds: { type: 'number', minimum: 0, description: 'How long it has been due' },
    },
    required: ['jobId', 'kind', 'runAfter', 'ageSeconds'],
    additionalProperties: false,
  })
  oldestDue!: { jobId: string; kind: string; runAfter: string; ageSeconds: number } | null;
  @ApiProperty({
    type: [QueueMinuteSchema],
    description: 'Jobs finished in each minute of the last hour: 60 minutes, the current last',
  })
  lastHour!: QueueMinuteSchema[];
}
