import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { CursorCodec, IsCursor, PageLimit } from '../../common/paging.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Pages are in email order ignoring case, people without an email last (by id): a cursor is
 * the last row's lower-cased email (`''` for none) and id.
 */
export type EmployeeCursor = { email: string; id: string };
export const EMPLOYEE_CURSOR = new CursorCodec<EmployeeCursor>({
  email: () => true,
  id: (id) => UUID.test(id),
});

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

  /** Words that must each appear in the email, first name or last name (case-insensitive). */
  @ApiPropertyOptional({
    maxLength: 200,
    description: 'Search: every word must appear in the email, first name or last name',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'connectionId must be a UUID' })
  connectionId?: string;

  /** Members of a group of the company (any source); another company's group lists nobody. */
  @ApiPropertyOptional({
    format: 'uuid',
    description:
      "Members of a group of the company (any source); another company's group lists nobody",
  })
  @IsOptional()
  @IsUUID('all', { message: 'groupId must be a UUID' })
  groupId?: string;

  @PageLimit(500, 100)
  limit?: number;

  /** The `nextCursor` of the previous page. */
  @IsCursor(EMPLOYEE_CURSOR)
  cursor?: EmployeeCursor;
}
