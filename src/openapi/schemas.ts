import { applyDecorators } from '@nestjs/common';
import { ApiParam, ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import { CONNECTION_TYPES } from '../directory/connection-types.js';
import { JOB_STATUSES as SYNC_JOB_STATUSES } from '../queue/job.js';

/**
 * Response shapes for the OpenAPI document. The services return plain objects; these
 * classes only describe them (there is no swagger CLI plugin: every property is annotated).
 */

const DATE = { type: String, format: 'date-time' } as const;
const UUID = { type: String, format: 'uuid' } as const;
const INTEGER = { type: 'integer' } as const;

export class FieldErrorSchema {
  @ApiProperty({ example: 'config.apiToken' }) field!: string;
  @ApiProperty({ example: 'config.apiToken should not be empty' }) message!: string;
}

export class ErrorSchema {
  @ApiProperty({ ...INTEGER, example: 400 }) statusCode!: number;
  @ApiProperty({ example: 'Bad Request' }) error!: string;
  @ApiProperty({ description: 'Every problem, separated by "; "' }) message!: string;
  @ApiPropertyOptional({ type: [FieldErrorSchema], description: 'Validation errors (400)' })
  fields?: FieldErrorSchema[];
  @ApiPropertyOptional({ description: '5xx only: also in X-Request-Id and in the log' })
  requestId?: string;
}

const ERROR_TEXT: Record<number, string> = {
  400: 'Malformed input or id; validation errors list each field',
  401: 'No API key, an unknown or a revoked one',
  403: 'A viewer key on a write',
  404: "Not found (or not the caller's company's)",
  409: 'Conflicts with the current state',
  413: 'The body is larger than 1 MB',
  429: 'Rate limited; Retry-After says when to come back',
  500: 'Unexpected; the body carries the requestId',
  503: 'Not available right now; the message says why',
};

/**
 * Documents the `{statusCode, error, message}` answers of the given statuses (and 500).
 * Declare exactly what the route can answer: the contract tests fail on any other status.
 */
export const ApiErrors = (...statuses: number[]) =>
  applyDecorators(
    ...[...statuses, 500].map((status) =>
      ApiResponse({ status, description: ERROR_TEXT[status], type: ErrorSchema }),
    ),
  );

/** A path parameter holding a UUID (`UuidParam`): anything else is a 400. */
export const ApiUuidParam = (name = 'id', description?: string) =>
  ApiParam({ name, type: String, format: 'uuid', description });

export class ApiKeySchema {
  @ApiProperty(UUID) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['admin', 'viewer'] }) role!: string;
  @ApiProperty({ description: 'The first characters, to tell keys apart' }) prefix!: string;
  @ApiProperty({ ...DATE, nullable: true }) lastUsedAt!: string | null;
  @ApiProperty(DATE) createdAt!: string;
}

export class CreatedApiKeySchema extends ApiKeySchema {
  @ApiProperty({ description: 'The plaintext key: shown this once', example: 'dsk_…' })
  key!: string;
}

export class ApiKeyListSchema {
  @ApiProperty({ type: [ApiKeySchema] }) items!: ApiKeySchema[];
}

export class CallerSchema {
  @ApiProperty(UUID) companyId!: string;
  @ApiProperty() companyName!: string;
  @ApiProperty(UUID) keyId!: string;
  @ApiProperty() keyName!: string;
  @ApiProperty({ enum: ['admin', 'viewer'] }) role!: string;
}

export class CompanySchema {
  @ApiProperty(UUID) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty(DATE) createdAt!: string;
}

export class FirstApiKeySchema {
  @ApiProperty(UUID) id!: string;
  @ApiProperty({ example: 'dsk_…' }) key!: string;
  @ApiProperty({ enum: ['admin'] }) role!: string;
}

export class CreatedCompanySchema {
  @ApiProperty({ type: CompanySchema }) company!: CompanySchema;
  @ApiProperty({ type: FirstApiKeySchema }) apiKey!: FirstApiKeySchema;
}

export class ConnectionSchema {
  @ApiProperty(UUID) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: CONNECTION_TYPES }) type!: string;
  @ApiProperty({ enum: ['PENDING', 'ACTIVE', 'ERROR'] }) status!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The provider config; secrets are returned as "********"',
  })
  config!: Record<string, unknown>;
  @ApiProperty({ ...INTEGER, nullable: true, minimum: 5 }) syncIntervalMinutes!: number | null;
  @ApiProperty({ ...INTEGER, minimum: 1, maximum: 10 }) maxAttempts!: number;
  @ApiProperty({ ...INTEGER, minimum: 0, maximum: 100 }) deprovisionThresholdPercent!: number;
  @ApiProperty({ ...INTEGER, minimum: 1, maximum: 8760 }) fullSyncIntervalHours!: number;
  @ApiProperty({ ...DATE, nullable: true }) lastSyncAt!: string | null;
  @ApiProperty({ ...INTEGER, nullable: true }) lastSyncCount!: number | null;
  @ApiProperty({ type: String, nullable: true }) lastError!: string | null;
  @ApiProperty(DATE) createdAt!: string;
  @ApiProperty(DATE) updatedAt!: string;
  @ApiPropertyOptional({ description: 'scim connections: where the IdP pushes to' })
  scimBaseUrl?: string;
  @ApiPropertyOptional({ description: 'scim connections, on creation only: the bearer token' })
  scimToken?: string;
}

/** A connection as the routes answer it (events carry `ConnectionSchema`). */
export class ScheduledConnectionSchema extends ConnectionSchema {
  @ApiProperty({
    ...DATE,
    nullable: true,
    description:
      'When the scheduler next starts a sync (in the past: at its next round); null without ' +
      'an interval (and for scim)',
  })
  nextSyncAt!: string | null;
}

export class ConnectionListSchema {
  @ApiProperty({ type: [ScheduledConnectionSchema] }) items!: ScheduledConnectionSchema[];
}

export class ConnectionTestSchema {
  @ApiProperty() ok!: boolean;
  @ApiPropertyOptional({ ...INTEGER, description: "Users on the provider's first page" })
  userCount?: number;
  @ApiPropertyOptional({
    ...INTEGER,
    description:
      "Groups on the provider's first page of groups; only when the connection syncs groups",
  })
  groupCount?: number;
  @ApiPropertyOptional({ description: 'What went wrong, in words a person can act on' })
  error?: string;
}

export class ScimTokenSchema {
  @ApiProperty({ description: 'The new bearer token: shown this once', example: 'scim_…' })
  scimToken!: string;
}

const SYNC_STATS = [
  'fetched',
  'created',
  'updated',
  'unchanged',
  'deactivated',
  'skipped',
] as const;
/** There when the run synced groups. */
const GROUP_STATS = [
  'groupsCreated',
  'groupsUpdated',
  'groupsDeleted',
  'membershipsAdded',
  'membershipsRemoved',
] as const;

/** A sync's stats (a job's, a `connection.sync_succeeded` event's). */
export const SYNC_STATS_SCHEMA = {
  type: 'object' as const,
  properties: {
    ...Object.fromEntries(
      [...SYNC_STATS, ...GROUP_STATS].map((name) => [name, { type: 'integer' as const }]),
    ),
    mode: {
      type: 'string' as const,
      enum: ['full', 'incremental'],
      description: 'full: the whole directory was read; incremental: its change feed',
    },
    modeReason: { type: 'string' as const, description: 'Why the run took that mode' },
  },
  required: [...SYNC_STATS] as string[],
  additionalProperties: false,
};

const PREVIEW_PEOPLE = {
  type: 'array' as const,
  maxItems: 1000,
  items: {
    type: 'object' as const,
    properties: {
      email: { type: 'string' as const },
      externalId: { type: 'string' as const, nullable: true },
      changes: {
        type: 'object' as const,
        description: 'Updates only: each changed field, before and after',
        additionalProperties: {
          type: 'object' as const,
          properties: { from: {}, to: {} },
          required: ['from', 'to'],
        },
      },
    },
    required: ['email', 'externalId'],
    additionalProperties: false,
  },
};

/** A dry run's result: the first 1,000 people of each kind (the stats have the counts). */
const SYNC_PREVIEW_SCHEMA = {
  type: 'object' as const,
  properties: {
    created: PREVIEW_PEOPLE,
    updated: PREVIEW_PEOPLE,
    deactivated: PREVIEW_PEOPLE,
    reactivated: PREVIEW_PEOPLE,
    blockedBy: {
      type: 'string' as const,
      nullable: true,
      description: "The deprovision guard's message when a real run would have stopped",
    },
  },
  required: ['created', 'updated', 'deactivated', 'reactivated', 'blockedBy'],
  additionalProperties: false,
};

export class SyncJobSchema {
  @ApiProperty(UUID) id!: string;
  @ApiProperty({ ...UUID, nullable: true }) connectionId!: string | null;
  @ApiProperty({ enum: SYNC_JOB_STATUSES }) status!: string;
  @ApiProperty({ enum: ['manual', 'schedule', 'retry'] }) trigger!: string;
  @ApiProperty(INTEGER) attempts!: number;
  @ApiProperty(INTEGER) maxAttempts!: number;
  @ApiProperty({ type: String, nullable: true }) lastError!: string | null;
  @ApiProperty(DATE) runAfter!: string;
  @ApiProperty({ ...DATE, nullable: true }) startedAt!: string | null;
  @ApiProperty({ ...DATE, nullable: true }) finishedAt!: string | null;
  @ApiProperty() cancelRequested!: boolean;
  @ApiProperty() allowMassDeprovision!: boolean;
  @ApiProperty({ description: 'A dry run: writes nothing, shows a preview' }) dryRun!: boolean;
  /** Inline, not a $ref: OpenAPI 3.0's `nullable` does not reach into a referenced schema. */
  @ApiProperty({ ...SYNC_STATS_SCHEMA, nullable: true })
  stats!:
    | (Record<(typeof SYNC_STATS)[number], number> &
        Partial<Record<(typeof GROUP_STATS)[number], number>>)
    | null;
  @ApiProperty({
    ...SYNC_PREVIEW_SCHEMA,
    nullable: true,
    description:
      "A dry run's preview, or on a run the deprovision guard stopped, who it would have " +
      'deactivated (the rest was written); null otherwise',
  })
  preview!: object | null;
  @ApiProperty(DATE) createdAt!: string;
  @ApiProperty(DATE) updatedAt!: string;
}

export class SyncJobPageSchema {
  @ApiProperty({ type: [SyncJobSchema] }) items!: SyncJobSchema[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor`; null at the end' })
  nextCursor!: string | null;
}

export class EnqueuedJobSchema {
  @ApiProperty(UUID) jobId!: string;
  @ApiProperty({ enum: SYNC_JOB_STATUSES }) status!: string;
  @ApiProperty({ description: 'true: a waiting job already existed and is returned' })
  deduplicated!: boolean;
}

export class EmployeeSchema {
  @ApiProperty(UUID) id!: string;
  /** Not `format: email`: the address is kept as the directory sent it. */
  @ApiProperty({ type: String, nullable: true, description: 'As the directory sent it' })
  email!: string | null;
  @ApiProperty({ type: String, nullable: true }) firstName!: string | null;
  @ApiProperty({ type: String, nullable: true }) lastName!: string | null;
  @ApiProperty({ type: String, nullable: true }) department!: string | null;
  @ApiProperty({ type: String, nullable: true }) title!: string | null;
  @ApiProperty() active!: boolean;
  @ApiProperty({ type: Boolean, nullable: true }) mfaEnabled!: boolean | null;
  @ApiProperty({ ...UUID, nullable: true }) connectionId!: string | null;
  @ApiProperty({ type: String, nullable: true }) externalId!: string | null;
  @ApiProperty(DATE) createdAt!: string;
  @ApiProperty(DATE) updatedAt!: string;
  @ApiProperty({ ...DATE, nullable: true }) deactivatedAt!: string | null;
}

export class GroupRefSchema {
  @ApiProperty(UUID) id!: string;
  @ApiProperty() name!: string;
}

export class EmployeeDetailSchema extends EmployeeSchema {
  @ApiProperty({ type: [GroupRefSchema], description: 'Its groups, in name order' })
  groups!: GroupRefSchema[];
}

export class GroupSchema {
  @ApiProperty(UUID) id!: string;
  @ApiProperty({ ...UUID, description: 'The connection it comes from' }) connectionId!: string;
  @ApiProperty({
    description: "The source directory's id of the group (a SCIM group's is its own id)",
  })
  externalId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty(INTEGER) memberCount!: number;
  @ApiProperty(DATE) createdAt!: string;
  @ApiProperty(DATE) updatedAt!: string;
}

export class GroupPageSchema {
  @ApiProperty({ type: [GroupSchema] }) items!: GroupSchema[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor`; null at the end' })
  nextCursor!: string | null;
}

export class EmployeePageSchema {
  @ApiProperty({ type: [EmployeeSchema] }) items!: EmployeeSchema[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor`; null at the end' })
  nextCursor!: string | null;
}
