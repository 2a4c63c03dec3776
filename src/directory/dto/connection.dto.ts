import { IsIn, IsInt, IsObject, IsOptional, Max, Min, ValidateIf } from 'class-validator';
import { IsName } from '../../common/is-name.js';
import { CONNECTION_TYPES, type ConnectionType } from '../connection-types.js';

const YEAR_IN_MINUTES = 525_600;

/** May be left out, but not sent as null (unlike @IsOptional, which lets null through). */
const IsOmittable = () => ValidateIf((_object, value) => value !== undefined);

/** Fields a connection has whatever its type; `config` is validated per type by the service. */
class ConnectionSettingsDto {
  /** null: no periodic sync. */
  @IsOptional()
  @IsInt()
  @Min(5, { message: 'syncIntervalMinutes must be null or at least 5' })
  @Max(YEAR_IN_MINUTES)
  syncIntervalMinutes?: number | null;

  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(10)
  maxAttempts?: number;

  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(100)
  deprovisionThresholdPercent?: number;

  @IsOmittable()
  @IsObject()
  config?: Record<string, unknown>;
}

export class CreateConnectionDto extends ConnectionSettingsDto {
  @IsName()
  name!: string;

  @IsIn(CONNECTION_TYPES, { message: `type must be one of ${CONNECTION_TYPES.join(', ')}` })
  type!: ConnectionType;
}

/** The type of a connection cannot change; everything else can. */
export class UpdateConnectionDto extends ConnectionSettingsDto {
  @IsOmittable()
  @IsName()
  name?: string;
}
