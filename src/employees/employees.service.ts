import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { ListEmployeesQuery } from './dto/list-employees.dto.js';
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
    const rows = this.employees
      .createQueryBuilder('e')
      .where('e.company_id = :companyId', { companyId })
      .orderBy('e.email', 'ASC')
      .limit(limit + 1);
    if (query.active !== undefined) rows.andWhere('e.active = :active', { active: query.active });
    if (query.connectionId) {
      rows.andWhere('e.source_connection_id = :connectionId', { connectionId: query.connectionId });
    }
    if (query.groupId) {
      rows.andWhere(
        `e.id IN (SELECT m.employee_id FROM scim_group_member m
                   JOIN scim_group g ON g.id = m.group_id
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
    if (query.cursor !== undefined) {
      rows.andWhere('e.email > :after', { after: decodeCursor(query.cursor) });
    }
    if (query.email !== undefined) {
      rows.andWhere('e.email = :email', { email: query.email.trim().toLowerCase() });
    }
    const found = await rows.getMany();
    const page = found.slice(0, limit);
    const nextCursor = found.length > limit ? encodeCursor(page[page.length - 1].email) : null;
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

function encodeCursor(email: string): string {
  return Buffer.from(email, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const email = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!email || encodeCursor(email) !== cursor) throw new BadRequestException('cursor is invalid');
  return email;
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
