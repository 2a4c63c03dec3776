import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { sqlRows } from '../database/sql.js';
import { GROUP_CURSOR, type ListGroupsQuery } from './dto/list-groups.dto.js';

export interface GroupView {
  id: string;
  connectionId: string;
  externalId: string;
  name: string;
  description: string | null;
  memberCount: number;
  createdAt: Date;
  updatedAt: Date;
}

interface GroupRow {
  id: string;
  connection_id: string;
  external_id: string;
  name: string;
  /** lower(name) as the database sorts it: the cursor's key. */
  name_key: string;
  description: string | null;
  member_count: number;
  created_at: Date;
  updated_at: Date;
}

const DEFAULT_LIMIT = 100;

const SELECT_GROUP = `
  SELECT g.id, g.connection_id, g.external_id, g.name, lower(g.name) AS name_key, g.description,
         g.created_at, g.updated_at,
         (SELECT count(*) FROM group_membership m WHERE m.group_id = g.id)::int AS member_count
    FROM directory_group g`;

/** The company's groups, from every source (pull syncs and SCIM pushes alike). */
@Injectable()
export class GroupsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Keyset pagination in name order ignoring case, then id: stable under concurrent writes. */
  async list(
    companyId: string,
    query: ListGroupsQuery,
  ): Promise<{ items: GroupView[]; nextCursor: string | null }> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const params: unknown[] = [companyId];
    const where = ['g.company_id = $1'];
    const param = (value: unknown) => `$${params.push(value)}`;
    if (query.connectionId) where.push(`g.connection_id = ${param(query.connectionId)}`);
    if (query.name !== undefined) where.push(`lower(g.name) = lower(${param(query.name.trim())})`);
    if (query.cursor) {
      const name = param(query.cursor.name);
      where.push(`(lower(g.name), g.id) > (${name}, ${param(query.cursor.id)})`);
    }
    const rows = await sqlRows<GroupRow>(
      this.dataSource,
      `${SELECT_GROUP} WHERE ${where.join(' AND ')}
        ORDER BY lower(g.name), g.id LIMIT ${param(limit + 1)}`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const nextCursor =
      rows.length > limit ? GROUP_CURSOR.encode({ name: last.name_key, id: last.id }) : null;
    return { items: page.map(toView), nextCursor };
  }

  /** 404 when the group is not the company's (or does not exist). */
  async get(companyId: string, id: string): Promise<GroupView> {
    const [row] = await sqlRows<GroupRow>(
      this.dataSource,
      `${SELECT_GROUP} WHERE g.id = $1 AND g.company_id = $2`,
      [id, companyId],
    );
    if (!row) throw new NotFoundException(`group ${id} not found`);
    return toView(row);
  }
}

function toView(row: GroupRow): GroupView {
  return {
    id: row.id,
    connectionId: row.connection_id,
    externalId: row.external_id,
    name: row.name,
    description: row.description,
    memberCount: row.member_count,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
