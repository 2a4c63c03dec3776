import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { parse, type Filter } from 'scim2-parse-filter';
import type { DataSource, EntityManager } from 'typeorm';
import { sqlRows } from '../database/sql.js';
import { insertEventsFrom } from '../events/event-log.js';
import { groupEvents, MEMBER_EVENT_ORDER, membershipEvents } from '../events/group-events.js';
import { checkNotReadOnly } from './scim-attributes.js';
import type { ScimConnection } from './scim-auth.guard.js';
import { invalidValue, scimNotFound, ScimException, uniqueness } from './scim-error.js';
import { checkIfMatch, etag } from './scim-etag.js';
import { filterToSql, type FilterColumns } from './scim-filter.js';
import type { ListQuery } from './scim-paging.js';
import { GROUP_SCHEMA } from './scim-schemas.js';
import { canonicalKeys, isObject, normalizePatch } from './scim-user-input.js';
import type { WriteOptions } from './scim-users.service.js';

interface GroupRow {
  id: string;
  display_name: string;
  external_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

interface MemberRow {
  group_id: string;
  value: string;
  display: string;
}

/**
 * A SCIM group is a `directory_group` of its connection (its own source: external_id = id)
 * with its SCIM-only attributes beside it.
 */
const GROUPS = `directory_group g JOIN scim_group_attributes s ON s.group_id = g.id`;
const GROUP_ROW = `g.id, g.name AS display_name, s.external_id, s.version, g.created_at, g.updated_at`;

const GROUP_COLUMNS: FilterColumns = {
  id: { sql: 'g.id', kind: 'uuid' },
  displayname: { sql: 'g.name', kind: 'text' },
  externalid: { sql: 's.external_id', kind: 'exact' },
  'meta.created': { sql: 'g.created_at', kind: 'date' },
  'meta.lastmodified': { sql: 'g.updated_at', kind: 'date' },
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface GroupInput {
  displayName: string;
  externalId: string | null;
  members: string[];
}

/**
 * SCIM Groups of one push connection with their members (users of the same connection).
 * PATCH turns member operations into set operations in SQL, so a 10,000-member group is
 * never loaded to add one person.
 */
@Injectable()
export class ScimGroupsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async create(conn: ScimConnection, body: unknown, base: string) {
    const input = parseGroup(body);
    const id = await this.write(async (tx) => {
      const members = await this.liveMembers(tx, conn, input.members);
      const [row] = await sqlRows<{ id: string }>(
        tx,
        `WITH fresh AS (SELECT gen_random_uuid() AS id),
         created AS (
           INSERT INTO directory_group (id, connection_id, company_id, external_id, name)
           SELECT id, $1, $2, id::text, $3 FROM fresh RETURNING *),
         events AS (${insertEventsFrom(`(${groupEvents('created', `'group.created'`, '0')}) e`)})
         INSERT INTO scim_group_attributes (group_id, external_id)
         SELECT id, $4 FROM created RETURNING group_id AS id`,
        [conn.id, conn.companyId, input.displayName, input.externalId],
      );
      await writeMembers(tx, row.id, { add: members });
      return row.id;
    });
    return this.get(conn, id, base, true);
  }

  /** withMembers false: the answer leaves members out, so they are not loaded. */
  async get(conn: ScimConnection, id: string, base: string, withMembers: boolean) {
    const group = await this.find(this.dataSource.manager, conn, id);
    const members = withMembers ? await this.members([group.id]) : undefined;
    return toScimGroup(group, members, base);
  }

  /** One page of the connection's groups in creation order, and how many match in all. */
  async list(conn: ScimConnection, query: ListQuery, base: string) {
    const params: unknown[] = [conn.id];
    const where = query.filter ? ` AND ${this.filterSql(query.filter, params)}` : '';
    const [{ total }] = await sqlRows<{ total: number }>(
      this.dataSource,
      `SELECT count(*)::int AS total FROM ${GROUPS} WHERE g.connection_id = $1${where}`,
      params,
    );
    const rows =
      query.count === 0 || query.startIndex > total
        ? []
        : await sqlRows<GroupRow>(
            this.dataSource,
            `SELECT ${GROUP_ROW} FROM ${GROUPS} WHERE g.connection_id = $1${where}
              ORDER BY g.created_at, g.id
              OFFSET $${params.length + 1} LIMIT $${params.length + 2}`,
            [...params, query.startIndex - 1, query.count],
          );
    const members =
      query.projection.returns('members') && rows.length > 0
        ? await this.members(rows.map((r) => r.id))
        : undefined;
    return { total, resources: rows.map((row) => toScimGroup(row, members, base)) };
  }

  async replace(
    conn: ScimConnection,
    id: string,
    body: unknown,
    base: string,
    options: WriteOptions = {},
  ) {
    const input = parseGroup(body);
    await this.write(async (tx) => {
      checkIfMatch(options.ifMatch, (await this.find(tx, conn, id, true)).version);
      const members = await this.liveMembers(tx, conn, input.members);
      await this.touch(tx, id);
      await setName(tx, id, input.displayName);
      await setExternalId(tx, id, input.externalId);
      await writeMembers(tx, id, { add: members, exact: true });
    });
    return this.get(conn, id, base, true);
  }

  /**
   * add / remove / replace of members (incl. `members[value eq "…"]`), displayName,
   * externalId; answers the new ETag.
   */
  async patch(
    conn: ScimConnection,
    id: string,
    body: unknown,
    options: WriteOptions = {},
  ): Promise<string> {
    const operations = normalizePatch(body);
    for (const { path } of operations) if (path) checkNotReadOnly(path);
    return this.write(async (tx) => {
      checkIfMatch(options.ifMatch, (await this.find(tx, conn, id, true)).version);
      // First: the events of the operations show the group as of this change.
      const version = await this.touch(tx, id);
      for (const { op, path, value } of operations) {
        const lower = (path ?? '').toLowerCase();
        if (lower === 'displayname') {
          if (op === 'remove') throw invalidValue('displayName is required');
          await setName(tx, id, groupName(value));
        } else if (lower === 'externalid') {
          const externalId = op === 'remove' ? null : optionalString(value, 'externalId');
          await setExternalId(tx, id, externalId);
        } else if (lower === 'members') {
          if (op === 'remove' && value !== undefined) {
            await writeMembers(tx, id, { remove: validIds(memberIds(value)) });
          } else if (op === 'remove') {
            await writeMembers(tx, id, { exact: true });
          } else {
            const members = await this.liveMembers(tx, conn, memberIds(value));
            await writeMembers(tx, id, { add: members, exact: op === 'replace' });
          }
        } else if (lower.startsWith('members[')) {
          const ids = filteredMemberIds(path ?? '');
          if (op !== 'remove') {
            throw new ScimException(400, `${op} is not supported on ${path}`, 'invalidPath');
          }
          await writeMembers(tx, id, { remove: validIds(ids) });
        } else {
          throw new ScimException(400, `unsupported path "${path}"`, 'invalidPath');
        }
      }
      return etag(version);
    });
  }

  async remove(conn: ScimConnection, id: string, options: WriteOptions = {}): Promise<void> {
    await this.write(async (tx) => {
      checkIfMatch(options.ifMatch, (await this.find(tx, conn, id, true)).version);
      await tx.query(
        `WITH gone AS (DELETE FROM directory_group WHERE id = $1 RETURNING *)
         ${insertEventsFrom(`(${groupEvents('gone', `'group.deleted'`)}) e`)}`,
        [id],
      );
    });
  }

  /** `members eq "<id>"` style filters ask "groups containing this user". */
  private filterSql(filter: string, params: unknown[]): string {
    const member = /^\s*members(?:\.value)?\s+eq\s+"([^"]*)"\s*$/i.exec(filter);
    if (member) {
      params.push(member[1].toLowerCase());
      return `EXISTS (SELECT 1 FROM group_membership m
                       WHERE m.group_id = g.id AND m.employee_id::text = $${params.length})`;
    }
    return filterToSql(filter, GROUP_COLUMNS, params);
  }

  private async members(groupIds: string[]): Promise<Map<string, MemberRow[]>> {
    const rows = await sqlRows<MemberRow>(
      this.dataSource,
      `SELECT m.group_id, m.employee_id AS value,
              COALESCE(u.display_name, u.user_name) AS display
         FROM group_membership m JOIN scim_user u ON u.employee_id = m.employee_id
        WHERE m.group_id = ANY($1::uuid[])
        ORDER BY m.group_id, u.user_name`,
      [groupIds],
    );
    const byGroup = new Map<string, MemberRow[]>(groupIds.map((id) => [id, []]));
    for (const row of rows) byGroup.get(row.group_id)?.push(row);
    return byGroup;
  }

  /**
   * The distinct ids of `ids`, which must all be live users of this connection: 400
   * invalidValue otherwise, before anything is written.
   */
  private async liveMembers(tx: EntityManager, conn: ScimConnection, ids: string[]) {
    const wanted = [...new Set(ids.map((v) => v.toLowerCase()))];
    if (wanted.length === 0) return wanted;
    if (wanted.some((v) => !UUID.test(v))) throw invalidValue('a member value is not a user id');
    const found = await sqlRows<{ employee_id: string }>(
      tx,
      `SELECT employee_id FROM scim_user
        WHERE connection_id = $1 AND deleted_at IS NULL AND employee_id = ANY($2::uuid[])`,
      [conn.id, wanted],
    );
    if (found.length !== wanted.length) {
      const known = new Set(found.map((r) => r.employee_id));
      const missing = wanted.filter((v) => !known.has(v));
      throw invalidValue(`unknown member(s): ${missing.join(', ')}`);
    }
    return wanted;
  }

  /** Every change of a group is a new version; answers it. */
  private async touch(tx: EntityManager, id: string): Promise<number> {
    const [row] = await sqlRows<{ version: number }>(
      tx,
      `WITH touched AS (UPDATE directory_group SET updated_at = now() WHERE id = $1)
       UPDATE scim_group_attributes SET version = version + 1 WHERE group_id = $1
       RETURNING version`,
      [id],
    );
    return row.version;
  }

  private async find(db: EntityManager, conn: ScimConnection, id: string, lock = false) {
    const [row] = UUID.test(id)
      ? await sqlRows<GroupRow>(
          db,
          `SELECT ${GROUP_ROW} FROM ${GROUPS}
            WHERE g.id = $1 AND g.connection_id = $2${lock ? ' FOR UPDATE' : ''}`,
          [id, conn.id],
        )
      : [];
    if (!row) throw scimNotFound(`group ${id}`);
    return row;
  }

  private async write<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.dataSource.transaction(work);
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw uniqueness('a group with this displayName already exists');
      }
      if ((error as { code?: string }).code === '23514') {
        throw invalidValue('displayName must not be empty');
      }
      throw error;
    }
  }
}

/** A new name is a `group.updated` event (the SCIM externalId is not part of the group's view). */
async function setName(tx: EntityManager, id: string, name: string): Promise<void> {
  await tx.query(
    `WITH renamed AS (
       UPDATE directory_group SET name = $2 WHERE id = $1 AND name IS DISTINCT FROM $2 RETURNING *)
     ${insertEventsFrom(`(${groupEvents('renamed', `'group.updated'`)}) e`)}`,
    [id, name],
  );
}

/**
 * One statement adding the members `add` and removing those of `remove` (`exact`: everyone
 * not in `add`), with a member event for each membership that changed.
 */
async function writeMembers(
  tx: EntityManager,
  id: string,
  change: { add?: string[]; remove?: string[]; exact?: boolean },
): Promise<void> {
  await tx.query(
    `WITH added AS (
       INSERT INTO group_membership (group_id, employee_id)
       SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING
       RETURNING group_id, employee_id),
     removed AS (
       DELETE FROM group_membership m
        WHERE m.group_id = $1
          AND (m.employee_id = ANY($3::uuid[]) OR ($4 AND m.employee_id <> ALL($2::uuid[])))
       RETURNING m.group_id, m.employee_id),
     ${membershipEvents('added', 'removed')}
     ${insertEventsFrom('membership_events', MEMBER_EVENT_ORDER)}`,
    [id, change.add ?? [], change.remove ?? [], change.exact === true],
  );
}

/** Ids that cannot name a user are members of no group: nothing to remove. */
function validIds(ids: string[]): string[] {
  return ids.map((v) => v.toLowerCase()).filter((v) => UUID.test(v));
}

async function setExternalId(tx: EntityManager, id: string, externalId: string | null) {
  await tx.query(`UPDATE scim_group_attributes SET external_id = $2 WHERE group_id = $1`, [
    id,
    externalId,
  ]);
}

function optionalString(value: unknown, field: string): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw invalidValue(`${field} must be a string`);
  return value.trim() || null;
}

function groupName(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidValue('displayName is required');
  }
  return value.trim();
}

function parseGroup(body: unknown): GroupInput {
  if (!isObject(body)) throw invalidValue('the body must be a Group resource object');
  const group = canonicalKeys(body) as Record<string, unknown>;
  return {
    displayName: groupName(group.displayName),
    externalId: optionalString(group.externalId, 'externalId'),
    members: group.members === undefined || group.members === null ? [] : memberIds(group.members),
  };
}

/** `[{value}]`, one `{value}`, or bare ids: whatever the IdP sent. */
function memberIds(value: unknown): string[] {
  const list: unknown[] = Array.isArray(value) ? value : [value];
  return list.map((entry) => {
    const id: unknown = isObject(entry)
      ? (canonicalKeys(entry) as Record<string, unknown>).value
      : entry;
    if (typeof id !== 'string') throw invalidValue('every member needs a value (a user id)');
    return id.trim();
  });
}

/** The ids of `members[value eq "a"]` or `members[value eq "a" or value eq "b"]`. */
function filteredMemberIds(path: string): string[] {
  const match = /^members\[(.*)\]$/i.exec(path.trim());
  let ast: Filter;
  try {
    ast = parse(match?.[1] ?? '');
  } catch {
    throw new ScimException(400, `invalid path "${path}"`, 'invalidPath');
  }
  const ids: string[] = [];
  const walk = (node: Filter): void => {
    if (node.op === 'or') return node.filters.forEach(walk);
    if (node.op === 'eq' && node.attrPath.toLowerCase() === 'value') {
      ids.push(String(node.compValue));
      return;
    }
    throw new ScimException(400, `unsupported member filter in "${path}"`, 'invalidPath');
  };
  walk(ast);
  return ids;
}

function toScimGroup(row: GroupRow, members: Map<string, MemberRow[]> | undefined, base: string) {
  return {
    schemas: [GROUP_SCHEMA],
    id: row.id,
    displayName: row.display_name,
    ...(row.external_id ? { externalId: row.external_id } : {}),
    ...(members
      ? {
          members: (members.get(row.id) ?? []).map((m) => ({
            value: m.value,
            display: m.display,
            type: 'User',
            $ref: `${base}/Users/${m.value}`,
          })),
        }
      : {}),
    meta: {
      resourceType: 'Group',
      created: row.created_at.toISOString(),
      lastModified: row.updated_at.toISOString(),
      location: `${base}/Groups/${row.id}`,
      version: etag(row.version),
    },
  };
}
