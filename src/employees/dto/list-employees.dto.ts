import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

export class ListEmployeesQuery {
  @ApiPropertyOptional({ type: Boolean })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    value === 'true' ? true : value === 'false' ? false : value,
  )
  @IsBoolean({ message: 'active must be true or false' })
  active?: boolean;

  /** Exact match, case-insensitive. */
  @ApiPropertyOptional({ maxLength: 320, description: 'Exact match, case-insensitive' })
  @IsOptional()
  @IsString()
  @MaxLength(320)
  email?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'connectionId must be a UUID' })
  connectionId?: string;

  /** Members of a SCIM group (a group pushed by a scim connection of the company). */
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Members of a SCIM group (a group pushed by a scim connection of the company)',
  })
  @IsOptional()
  @IsUUID('all', { message: 'groupId must be a UUID' })
  groupId?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer between 1 and 500' })
  @Min(1, { message: 'limit must be an integer between 1 and 500' })
  @Max(500, { message: 'limit must be an integer between 1 and 500' })
  limit?: number;

  /** The `nextCursor` of the previous page. */
  @ApiPropertyOptional({
    pattern: '^[A-Za-z0-9_-]+$',
    maxLength: 1000,
    description: 'The `nextCursor` of the previous page (opaque)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  cursor?: string;
}
