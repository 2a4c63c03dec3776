import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { MoreThan, Raw, type FindOptionsWhere, type Repository } from 'typeorm';
import { EMPLOYEE_CURSOR, type ListEmployeesQuery } from './dto/list-employees.dto.js';
import { Employee } from './employee.entity.js';

export interface EmployeeView {
  id: string;
  email: string;
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

@Injectable()
export class EmployeesService {
  constructor(@InjectRepository(Employee) private readonly employees: Repository<Employee>) {}

  /** Keyset pagination in email order (unique per company): stable under concurrent writes. */
  async list(
    companyId: string,
    query: ListEmployeesQuery,
  ): Promise<{ items: EmployeeView[]; nextCursor: string | null }> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const where: FindOptionsWhere<Employee> = { companyId };
    if (query.active !== undefined) where.active = query.active;
    if (query.connectionId) where.sourceConnectionId = query.connectionId;
    if (query.groupId) {
      where.id = Raw(
        (id) =>
          `${id} IN (SELECT m.employee_id FROM scim_group_member m
                      JOIN scim_group g ON g.id = m.group_id
                     WHERE g.id = :groupId AND g.company_id = :companyId)`,
        { groupId: query.groupId, companyId },
      );
    }
    const after = query.cursor?.email;
    if (after !== undefined) where.email = MoreThan(after);
    if (query.email !== undefined) {
      const email = query.email.trim().toLowerCase();
      // An exact email and a cursor together: the cursor can only move past it.
      if (after !== undefined && !(email > after)) {
        return { items: [], nextCursor: null };
      }
      where.email = email;
    }
    const rows = await this.employees.find({ where, order: { email: 'ASC' }, take: limit + 1 });
    const page = rows.slice(0, limit);
    const nextCursor =
      rows.length > limit ? EMPLOYEE_CURSOR.encode({ email: page[page.length - 1].email }) : null;
    return { items: page.map(toView), nextCursor };
  }
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
