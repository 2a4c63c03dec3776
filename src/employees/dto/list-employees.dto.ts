import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { CursorCodec, IsCursor, PageLimit } from '../../common/paging.js';

/** Pages are in email order: a cursor is the last email shown. */
export type EmployeeCursor = { email: string };
export const EMPLOYEE_CURSOR = new CursorCodec<EmployeeCursor>({ email: (email) => email !== '' });

export class ListEmployeesQuery {
  @ApiPropertyOptional({ type: Boolean })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    value === 'true' ? true : value === 'false' ? false : value,
  )
  @IsBoolean({ message: 'active must be true or false' })
  active?: boolean;

  /** Exact match, case-insensitive. */
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(320)
  email?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'connectionId must be a UUID' })
  connectionId?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  /** Members of a SCIM group (a group pushed by a scim connection of the company). */
  @IsOptional()
  @IsUUID('all', { message: 'groupId must be a UUID' })
  groupId?: string;

  @PageLimit(500)
  limit?: number;

  /** The `nextCursor` of the previous page. */
  @ApiPropertyOptional({ type: String })
  @IsCursor(EMPLOYEE_CURSOR)
  cursor?: EmployeeCursor;
}
