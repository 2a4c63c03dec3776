import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { EMPLOYEE_CURSOR, type ListEmployeesQuery } from './dto/list-employees.dto.js';
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

/** One employee with the groups it is a member of. */
export interface EmployeeDetailView extends EmployeeView {
  groups: { id: string; name: string }[];
}

const DEFAULT_LIMIT = 100;

@Injectable()
export class EmployeesService {
  constructor(@InjectRepository(Employee) private readonly employees: Repository<Employee>) {}

  /** 404 when the employee is not the company's (or does not exist). */
  async get(companyId: string, id: string): Promise<EmployeeDetailView> {
    const row = await this.employees.findOneBy({ id, companyId });
    if (!row) throw new NotFoundException(`employee ${id} not found`);
    const groups = await this.employees.query<{ id: string; name: string }[]>(
      `SELECT g.id, g.name FROM group_membership m JOIN directory_group g ON g.id = m.group_id
        WHERE m.employee_id = $1 AND g.company_id = $2
        ORDER BY lower(g.name), g.id`,
      [id, companyId],
    );
    return { ...toView(row), groups };
  }

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
        `e.id IN (SELECT m.employee_id FROM group_membership m
                   JOIN directory_group g ON g.id = m.group_id
                  WHERE g.id = :groupId AND g.company_id = :companyId)`,
        { groupId: query.groupId },
      );
    }
    // Every word of `q` must appear in the email, the first or the last name: "ada love"
    // finds Ada Lovelace.
    searchWords(query.q).forEach((word, i) => {
      rows.andWhere(
        `(e.email ILIKE :w${i} OR e.first_name ILIKE :w${i} OR e.last_name ILIKE :w${i})`,
        { [`w${i}`]: `%${escapeLike(word)}%` },
      );
    });
    if (query.email !== undefined) {
      rows.andWhere('lower(e.email) = lower(:email)', { email: query.email.trim() });
    }
    if (query.cursor !== undefined) {
      const { email, id } = query.cursor;
      rows.andWhere(
        email === ''
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
      found.length > limit
        ? EMPLOYEE_CURSOR.encode({ email: last.email?.toLowerCase() ?? '', id: last.id })
        : null;
    return { items: page.map(toView), nextCursor };
  }
}

function searchWords(q: string | undefined): string[] {
  return (q ?? '').split(/\s+/).filter((word) => word.length > 0);
}

/** A word matched literally: LIKE's wildcards and its escape character lose their meaning. */
function escapeLike(word: string): string {
  return word.replace(/[\\%_]/g, (char) => `\\${char}`);
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
