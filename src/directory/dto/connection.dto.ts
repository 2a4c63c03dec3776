import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { IsIn, IsInt, IsObject, IsOptional, Max, Min } from 'class-validator';
import { IsName, NAME_SCHEMA } from '../../common/is-name.js';
import { IsOmittable } from '../../common/validation.js';
import { CONNECTION_TYPES, type ConnectionType } from '../connection-types.js';
import {
  AwsIdentityCenterConfig,
  EntraIdConfig,
  GoogleWorkspaceConfig,
  LdapConfig,
  OktaConfig,
  ScimConfig,
} from './provider-configs.js';

const YEAR_IN_MINUTES = 525_600;
const YEAR_IN_HOURS = 8_760;

/** The config classes, in the OpenAPI document (DirectoryController adds them as models). */
export const PROVIDER_CONFIG_MODELS = [
  OktaConfig,
  EntraIdConfig,
  GoogleWorkspaceConfig,
  LdapConfig,
  AwsIdentityCenterConfig,
  ScimConfig,
];
const PROVIDER_CONFIG_SCHEMAS = PROVIDER_CONFIG_MODELS.map((model) => ({
  $ref: getSchemaPath(model),
}));

/** Fields a connection has whatever its type. */
class ConnectionSettingsDto {
  /** null: no periodic sync. */
  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: 5,
    maximum: YEAR_IN_MINUTES,
    description: 'null: no periodic sync',
  })
  @IsOptional()
  @IsInt()
  @Min(5, { message: 'syncIntervalMinutes must be null or at least 5' })
  @Max(YEAR_IN_MINUTES)
  syncIntervalMinutes?: number | null;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 10 })
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(10)
  maxAttempts?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 100 })
  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(100)
  deprovisionThresholdPercent?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: YEAR_IN_HOURS,
    description:
      'Connections whose provider has a change feed (Entra ID, Okta, LDAP): a full cycle runs ' +
      'at least this often; the cycles between read only what changed. Default 24.',
  })
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(YEAR_IN_HOURS)
  fullSyncIntervalHours?: number;
}

export class CreateConnectionDto extends ConnectionSettingsDto {
  @ApiProperty(NAME_SCHEMA)
  @IsName()
  name!: string;

  @ApiProperty({ enum: CONNECTION_TYPES })
  @IsIn(CONNECTION_TYPES, { message: `type must be one of ${CONNECTION_TYPES.join(', ')}` })
  type!: ConnectionType;

  /** Validated per type by the service. */
  @ApiPropertyOptional({
    description: 'The provider config of the connection type',
    oneOf: PROVIDER_CONFIG_SCHEMAS,
  })
  @IsOmittable()
  @IsObject()
  config?: Record<string, unknown>;
}

/** The type of a connection cannot change; everything else can. */
export class UpdateConnectionDto extends ConnectionSettingsDto {
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      "Some fields of the connection type's config (as in creation), merged into the stored " +
      'one; a secret sent back as "********" is kept',
  })
  @IsOmittable()
  @IsObject()
  config?: Record<string, unknown>;

  @ApiPropertyOptional(NAME_SCHEMA)
  @IsOmittable()
  @IsName()
  name?: string;
}
