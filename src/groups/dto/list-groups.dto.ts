import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, isUUID, MaxLength } from 'class-validator';
import { CursorCodec, IsCursor, PageLimit } from '../../common/paging.js';
import { EMPLOYEE_CURSOR, type EmployeeCursor } from '../../employees/dto/list-employees.dto.js';

/** Pages are in name order ignoring case: a cursor is the last row's lower-cased name and id. */
export type GroupCursor = { name: string; id: string };
export const GROUP_CURSOR = new CursorCodec<GroupCursor>({
  name: () => true,
  id: (id) => isUUID(id),
});

export class ListGroupsQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'connectionId must be a UUID' })
  connectionId?: string;

  /** Exact match, case-insensitive. */
  @ApiPropertyOptional({ maxLength: 1000, description: 'Exact match, case-insensitive' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  name?: string;

  @PageLimit(200, 100)
  limit?: number;

  /** The `nextCursor` of the previous page. */
  @IsCursor(GROUP_CURSOR)
  cursor?: GroupCursor;
}

/** A group's members page like the roster does (email order). */
export class ListMembersQuery {
  @PageLimit(500, 100)
  limit?: number;

  /** The `nextCursor` of the previous page. */
  @IsCursor(EMPLOYEE_CURSOR)
  cursor?: EmployeeCursor;
}
