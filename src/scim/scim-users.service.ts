import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  scimPatch,
  NoTarget,
  ScimError,
  type ScimPatchOperation,
  type ScimResource,
} from 'scim-patch';
import type { DataSource, EntityManager } from 'typeorm';
import { sqlRows } from '../database/sql.js';
import { withEmployeeEvents } from '../events/employee-events.js';
import { checkUserPatchPath } from './scim-attributes.js';
import type { ScimConnection } from './scim-auth.guard.js';
import { invalidValue, scimNotFound, ScimException, uniqueness } from './scim-error.js';
import { checkIfMatch, etag } from './scim-etag.js';
import { filterToSql, type FilterColumns } from './scim-filter.js';
import type { ListQuery } from './scim-paging.js';
import { ENTERPRISE_SCHEMA, USER_SCHEMA } from './scim-schemas.js';
import {
  normalizePatch,
  normalizeUserValue,
  parseUser,
  type UserInput,
} from './scim-user-input.js';

interface UserRow {
  id: string;
  user_name: string;
  display_name: string | null;
  formatted_name: string | null;
  manager_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  title: string | null;
  department: string | null;
  active: boolean;
  external_id: string | null;
}

const SELECT_USER = `
  SELECT u.employee_id AS id, u.user_name, u.display_name, u.formatted_name, u.manager_id,
         u.version,
         u.created_at, u.updated_at, e.email, e.first_name, e.last_name, e.title,
         e.department, e.active, e.external_id
    FROM scim_user u JOIN employee e ON e.id = u.employee_id`;

const USER_COLUMNS: FilterColumns = {
  id: { sql: 'u.employee_id', kind: 'uuid' },
  username: { sql: 'u.user_name', kind: 'text' },
  externalid: { sql: 'e.external_id', kind: 'exact' },
  displayname: { sql: 'u.display_name', kind: 'text' },
  'name.givenname': { sql: 'e.first_name', kind: 'text' },
  'name.familyname': { sql: 'e.last_name', kind: 'text' },
  emails: { sql: 'e.email', kind: 'text' },
  'emails.value': { sql: 'e.email', kind: 'text' },
  // The one email we keep is the primary work address.
  'emails.type': { sql: `'work'::text`, kind: 'text' },
  'emails.primary': { sql: 'true', kind: 'boolean' },
  active: { sql: 'e.active', kind: 'boolean' },
  title: { sql: 'e.title', kind: 'text' },
  'enterprise:department': { sql: 'e.department', kind: 'text' },
  'enterprise:manager': { sql: 'u.manager_id', kind: 'exact' },
  'enterprise:manager.value': { sql: 'u.manager_id', kind: 'exact' },
  'meta.created': { sql: 'u.created_at', kind: 'date' },
  'meta.lastmodified': { sql: 'u.updated_at', kind: 'date' },
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type ScimUser = Record<string, unknown> & {
  id: string;
  meta: {
    resourceType: string;
    created: string;
    lastModified: string;
    location: string;
    version: string;
  };
};

/** What a write may be conditioned on: the `If-Match` header. */
export interface WriteOptions {
  ifMatch?: string;
}

/**
 * SCIM Users of one push connection, stored as employees of its company (the SCIM id is the
 * employee id) plus a `scim_user` row for what only SCIM has. Every write is one transaction
 * that computes the whole new state first: an error leaves nothing half applied. Each
 * statement that writes an employee appends its event (created, updated, deactivated,
 * reactivated) itself; a write that changes no roster field appends none.
 */
@Injectable()
export class ScimUsersService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async create(conn: ScimConnection, body: unknown, base: string): Promise<ScimUser> {
    const input = parseUser(body);
    const id = await this.write(async (tx) => {
      await checkManager(tx, conn, input.managerId);
      const [existing] = await sqlRows<{ employee_id: string; deleted_at: Date | null }>(
        tx,
        `SELECT employee_id, deleted_at FROM scim_user
          WHERE connection_id = $1 AND lower(user_name) = lower($2) FOR UPDATE`,
        [conn.id, input.userName],
      );
      if (existing && !existing.deleted_at) {
        throw uniqueness(`a user with userName "${input.userName}" already exists`);
      }
      const holder = input.email === null ? undefined : await emailHolder(tx, conn, input.email);
      if (existing) {
        // Re-POST of a deleted user: the same employee comes back (the roster keeps history).
        if (holder && holder.id !== existing.employee_id) throw emailTaken(input.email);
        await this.writeEmployee(tx, conn, existing.employee_id, input, input.active ?? true);
        await this.writeScimUser(tx, existing.employee_id, input, true);
        return existing.employee_id;
      }
      let employeeId: string;
      if (holder) {
        const ownedElsewhere =
          (holder.source_connection_id !== null && holder.source_connection_id !== conn.id) ||
          (holder.scim_connection_id !== null && !holder.scim_deleted);
        if (ownedElsewhere) throw emailTaken(input.email);
        // An employee this connection pushed under another (deleted) userName: adopt it.
        await tx.query(`DELETE FROM scim_user WHERE employee_id = $1`, [holder.id]);
        employeeId = holder.id;
        await this.writeEmployee(tx, conn, employeeId, input, input.active ?? true);
      } else {
        const [row] = await sqlRows<{ id: string }>(
          tx,
          withEmployeeEvents(
            `INSERT INTO employee (company_id, email, first_name, last_name, department, title,
                                   external_id, active, deactivated_at, source_connection_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $8 THEN NULL ELSE now() END, $9)
             RETURNING *, true AS created`,
          ),
          [
            conn.companyId,
            input.email,
            input.givenName,
            input.familyName,
            input.department,
            input.title,
            input.externalId,
            input.active ?? true,
            conn.id,
          ],
        );
        employeeId = row.id;
      }
      await tx.query(
        `INSERT INTO scim_user (employee_id, connection_id, user_name, display_name,
                                formatted_name, manager_id)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          employeeId,
          conn.id,
          input.userName,
          input.displayName,
          input.formattedName,
          input.managerId,
        ],
      );
      return employeeId;
    });
    return this.get(conn, id, base);
  }

  async get(conn: ScimConnection, id: string, base: string): Promise<ScimUser> {
    return toScimUser(await this.find(this.dataSource.manager, conn, id), base);
  }

  /** One page of the connection's users in creation order, and how many match in all. */
  async list(conn: ScimConnection, query: ListQuery, base: string) {
    const params: unknown[] = [conn.id];
    const where = query.filter ? ` AND ${filterToSql(query.filter, USER_COLUMNS, params)}` : '';
    const [{ total }] = await sqlRows<{ total: number }>(
      this.dataSource,
      `SELECT count(*)::int AS total FROM scim_user u JOIN employee e ON e.id = u.employee_id
        WHERE u.connection_id = $1 AND u.deleted_at IS NULL${where}`,
      params,
    );
    const rows =
      query.count === 0 || query.startIndex > total
        ? []
        : await sqlRows<UserRow>(
            this.dataSource,
            `${SELECT_USER} WHERE u.connection_id = $1 AND u.deleted_at IS NULL${where}
              ORDER BY u.created_at, u.employee_id
              OFFSET $${params.length + 1} LIMIT $${params.length + 2}`,
            [...params, query.startIndex - 1, query.count],
          );
    return { total, resources: rows.map((row) => toScimUser(row, base)) };
  }

  async replace(
    conn: ScimConnection,
    id: string,
    body: unknown,
    base: string,
    options: WriteOptions = {},
  ) {
    const input = parseUser(body);
    await this.write(async (tx) => {
      const current = await this.find(tx, conn, id, true);
      checkIfMatch(options.ifMatch, current.version);
      await this.save(tx, conn, current, input, input.active ?? current.active);
    });
    return this.get(conn, id, base);
  }

  /** The patch is applied (scim-patch) to the current resource, which is then stored whole. */
  async patch(
    conn: ScimConnection,
    id: string,
    body: unknown,
    base: string,
    options: WriteOptions = {},
  ) {
    const operations = normalizePatch(body).map(normalizeUserValue);
    for (const { path } of operations) if (path) checkUserPatchPath(path);
    await this.write(async (tx) => {
      const current = await this.find(tx, conn, id, true);
      checkIfMatch(options.ifMatch, current.version);
      let patched: ScimUser;
      try {
        patched = scimPatch(
          // Only what is stored: a name.formatted built from the parts is not the client's.
          toScimUser(current, base, false) as unknown as ScimResource,
          operations as ScimPatchOperation[],
          { mutateDocument: false, treatMissingAsAdd: true },
        ) as unknown as ScimUser;
      } catch (error) {
        if (error instanceof NoTarget) throw new ScimException(400, error.message, 'noTarget');
        if (error instanceof ScimError) {
          throw new ScimException(400, error.message, 'invalidPath');
        }
        throw error;
      }
      const input = parseUser(patched);
      // The whole resource was patched: no `active` left means it was removed (§3.5.2.2).
      await this.save(tx, conn, current, input, input.active ?? false);
    });
    return this.get(conn, id, base);
  }

  /**
   * Deactivates the employee (kept for history), takes them out of their groups and off
   * their reports' manager; then 404 for SCIM.
   */
  async remove(conn: ScimConnection, id: string, options: WriteOptions = {}): Promise<void> {
    await this.write(async (tx) => {
      const current = await this.find(tx, conn, id, true);
      checkIfMatch(options.ifMatch, current.version);
      await tx.query(
        `UPDATE scim_user SET deleted_at = now(), updated_at = now(), version = version + 1
          WHERE employee_id = $1`,
        [id],
      );
      await tx.query(
        withEmployeeEvents(
          `UPDATE employee SET active = false, updated_at = now(),
                  deactivated_at = COALESCE(deactivated_at, now())
            WHERE id = $1
           RETURNING *, false AS created`,
        ),
        [id],
      );
      await touchGroupsOf(tx, id);
      await tx.query(`DELETE FROM scim_group_member WHERE employee_id = $1`, [id]);
      await tx.query(
        `UPDATE scim_user SET manager_id = NULL, updated_at = now(), version = version + 1
          WHERE connection_id = $1 AND manager_id = $2`,
        [conn.id, id],
      );
    });
  }

  /** PUT and PATCH: the new state of an existing user. */
  private async save(
    tx: EntityManager,
    conn: ScimConnection,
    current: UserRow,
    input: UserInput,
    active: boolean,
  ): Promise<void> {
    // A manager id stored before ids were checked stays until the client changes it.
    if (input.managerId !== current.manager_id) await checkManager(tx, conn, input.managerId);
    await this.writeEmployee(tx, conn, current.id, input, active);
    await this.writeScimUser(tx, current.id, input, false);
    // Groups show their members' display names: a new one is a new version of those groups.
    const display = input.displayName ?? input.userName;
    if (display !== (current.display_name ?? current.user_name)) {
      await touchGroupsOf(tx, current.id);
    }
  }

  private async find(
    db: EntityManager,
    conn: ScimConnection,
    id: string,
    lock = false,
  ): Promise<UserRow> {
    const [row] = UUID.test(id)
      ? await sqlRows<UserRow>(
          db,
          `${SELECT_USER} WHERE u.employee_id = $1 AND u.connection_id = $2
              AND u.deleted_at IS NULL${lock ? ' FOR UPDATE OF u, e' : ''}`,
          [id, conn.id],
        )
      : [];
    if (!row) throw scimNotFound(`user ${id}`);
    return row;
  }

  private async writeEmployee(
    tx: EntityManager,
    conn: ScimConnection,
    id: string,
    input: UserInput,
    active: boolean,
  ): Promise<void> {
    await tx.query(
      withEmployeeEvents(
        `UPDATE employee
            SET email = $2, first_name = $3, last_name = $4, department = $5, title = $6,
                external_id = $7, source_connection_id = $9, updated_at = now(),
                deactivated_at = CASE WHEN $8 THEN NULL
                                      WHEN active THEN now() ELSE deactivated_at END,
                active = $8
          WHERE id = $1
         RETURNING *, false AS created`,
      ),
      [
        id,
        input.email,
        input.givenName,
        input.familyName,
        input.department,
        input.title,
        input.externalId,
        active,
        conn.id,
      ],
    );
  }

  private async writeScimUser(
    tx: EntityManager,
    id: string,
    input: UserInput,
    revive: boolean,
  ): Promise<void> {
    await tx.query(
      `UPDATE scim_user
          SET user_name = $2, display_name = $3, formatted_name = $4, manager_id = $5,
              version = version + 1, updated_at = now()${revive ? ', deleted_at = NULL' : ''}
        WHERE employee_id = $1`,
      [id, input.userName, input.displayName, input.formattedName, input.managerId],
    );
  }

  /** One transaction; a unique violation becomes 409 uniqueness. */
  private async write<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.dataSource.transaction(work);
    } catch (error) {
      const pg = error as { code?: string; constraint?: string };
      if (pg.code === '23505') {
        throw pg.constraint === 'employee_company_email_key'
          ? uniqueness('another employee of the company already has this email')
          : uniqueness('another user of this connection already has this userName');
      }
      if (pg.code === '22001' || pg.code === '23514') throw invalidValue('a value is not allowed');
      throw error;
    }
  }
}

/** The employee of the company with this email, in any case, locked for the write. */
async function emailHolder(tx: EntityManager, conn: ScimConnection, email: string) {
  const [holder] = await sqlRows<{
    id: string;
    source_connection_id: string | null;
    scim_connection_id: string | null;
    scim_deleted: boolean | null;
  }>(
    tx,
    `SELECT e.id, e.source_connection_id, s.connection_id AS scim_connection_id,
            s.deleted_at IS NOT NULL AS scim_deleted
       FROM employee e LEFT JOIN scim_user s ON s.employee_id = e.id
      WHERE e.company_id = $1 AND lower(e.email) = lower($2) FOR UPDATE OF e`,
    [conn.companyId, email],
  );
  return holder;
}

/** manager.value is the id of a user of the same connection (RFC 7643 §4.3). */
async function checkManager(tx: EntityManager, conn: ScimConnection, managerId: string | null) {
  if (managerId === null) return;
  const [found] = UUID.test(managerId)
    ? await sqlRows<{ id: string }>(
        tx,
        `SELECT employee_id AS id FROM scim_user
          WHERE employee_id = $1 AND connection_id = $2 AND deleted_at IS NULL`,
        [managerId, conn.id],
      )
    : [];
  if (!found) throw invalidValue(`manager.value "${managerId}" is not the id of a user`);
}

/** A new version of every group the user is a member of (their member list changes). */
async function touchGroupsOf(tx: EntityManager, employeeId: string): Promise<void> {
  await tx.query(
    `UPDATE scim_group SET version = version + 1, updated_at = now()
      WHERE id IN (SELECT group_id FROM scim_group_member WHERE employee_id = $1)`,
    [employeeId],
  );
}

function emailTaken(email: string | null): ScimException {
  return uniqueness(`the email "${email}" belongs to another employee of the company`);
}

/**
 * The User resource. `derived: false` leaves out what is computed rather than stored (a
 * `name.formatted` built from the parts), which is what a PATCH applies to.
 */
function toScimUser(row: UserRow, base: string, derived = true): ScimUser {
  const name: Record<string, string> = {};
  if (row.first_name) name.givenName = row.first_name;
  if (row.last_name) name.familyName = row.last_name;
  const formatted =
    row.formatted_name ??
    (derived ? [row.first_name, row.last_name].filter(Boolean).join(' ') : '');
  if (formatted) name.formatted = formatted;
  const enterprise: Record<string, unknown> = {};
  if (row.department) enterprise.department = row.department;
  if (row.manager_id) {
    enterprise.manager = { value: row.manager_id, $ref: `${base}/Users/${row.manager_id}` };
  }
  const extended = Object.keys(enterprise).length > 0;
  return {
    schemas: extended ? [USER_SCHEMA, ENTERPRISE_SCHEMA] : [USER_SCHEMA],
    id: row.id,
    ...(row.external_id ? { externalId: row.external_id } : {}),
    userName: row.user_name,
    ...(Object.keys(name).length ? { name } : {}),
    ...(row.display_name ? { displayName: row.display_name } : {}),
    ...(row.email ? { emails: [{ value: row.email, type: 'work', primary: true }] } : {}),
    ...(row.title ? { title: row.title } : {}),
    active: row.active,
    ...(extended ? { [ENTERPRISE_SCHEMA]: enterprise } : {}),
    meta: {
      resourceType: 'User',
      created: row.created_at.toISOString(),
      lastModified: row.updated_at.toISOString(),
      location: `${base}/Users/${row.id}`,
      version: etag(row.version),
    },
  };
}
