import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { ListEmployeesQuery } from './dto/list-employees.dto.js';
import { Employee } from './employee.entity.js';

export interface EmployeeView {
  id: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  department: string | null;
  title: string | null;
  active: boolean;
  mfaEnabled: boolean | null;
  connectionId: string | null;
  externalId: string | null;
  createdAt: Date;
  updatedAt: Date;
  deactivatedAt: Date | null;
}

const DEFAULT_LIMIT = 100;

/** Where a page ends: the last row's email (lower-cased; null sorts last) and id. */
type Cursor = [email: string | null, id: string];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

@Injectable()
export class EmployeesService {
  constructor(@InjectRepository(Employee) private readonly employees: Repository<Employee>) {}

  /**
   * Keyset pagination in email order ignoring case, people without an email last (by id):
   * stable under concurrent writes.
   */
  async list(
    companyId: string,
    query: ListEmployeesQuery,
  ): Promise<{ items: EmployeeView[]; nextCursor: string | null }> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const rows = this.employees
      .createQueryBuilder('e')
      .where('e.company_id = :companyId', { companyId })
      .orderBy('lower(e.email)', 'ASC', 'NULLS LAST')
      .addOrderBy('e.id', 'ASC')
      .limit(limit + 1);
    if (query.active !== undefined) rows.andWhere('e.active = :active', { active: query.active });
    if (query.connectionId) {
      rows.andWhere('e.source_connection_id = :connectionId', {
        connectionId: query.connectionId,
      });
    }
    if (query.groupId) {
      rows.andWhere(
        `e.id IN (SELECT m.employee_id FROM scim_group_member m
                   JOIN scim_group g ON g.id = m.group_id
                  WHERE g.id = :groupId AND g.company_id = :companyId)`,
        { groupId: query.groupId },
      );
    }
    if (query.email !== undefined) {
      rows.andWhere('lower(e.email) = lower(:email)', { email: query.email.trim() });
    }
    if (query.cursor !== undefined) {
      const [email, id] = decodeCursor(query.cursor);
      rows.andWhere(
        email === null
          ? 'e.email IS NULL AND e.id > :id'
          : `(e.email IS NULL OR lower(e.email) > :email_after
              OR (lower(e.email) = :email_after AND e.id > :id))`,
        { email_after: email, id },
      );
    }
    const found = await rows.getMany();
    const page = found.slice(0, limit);
    const last = page[page.length - 1];
    const nextCursor =
      found.length > limit ? encodeCursor([last.email?.toLowerCase() ?? null, last.id]) : null;
    return { items: page.map(toView), nextCursor };
  }
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): Cursor {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const valid =
    Array.isArray(decoded) &&
    decoded.length === 2 &&
    (decoded[0] === null || typeof decoded[0] === 'string') &&
    typeof decoded[1] === 'string' &&
    UUID.test(decoded[1]);
  if (!valid) throw new BadRequestException('cursor is invalid');
  return decoded as Cursor;
}

function toView(row: Employee): EmployeeView {
  return {
    id: row.id,
    email: row.email,
    firstName: row.firstName,
    lastName: row.lastName,
    // '' is how a sync stores "the directory says empty"; the API shows it as no value.
    department: row.department || null,
    title: row.title || null,
    active: row.active,
    mfaEnabled: row.mfaEnabled,
    connectionId: row.sourceConnectionId,
    externalId: row.externalId,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    deactivatedAt: row.deactivatedAt,
  };
}
