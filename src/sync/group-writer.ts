import type { QueryRunner } from 'typeorm';
import { insertEventsFrom } from '../events/event-log.js';
import {
  groupEvents,
  MEMBER_EVENT_ORDER,
  memberCountOf,
  membershipEvents,
} from '../events/group-events.js';

/** A directory group as a pull sync stores it. */
export interface RosterGroup {
  externalId: string;
  name: string;
  description: string | null;
}

/** A group of this run's batch, by our id and the directory's. */
export interface WrittenGroup {
  id: string;
  externalId: string;
}

export interface GroupPageCounts {
  created: number;
  updated: number;
  groups: WrittenGroup[];
}

export interface MembershipCounts {
  added: number;
  removed: number;
}

/**
 * The SQL of one run's groups, on the run's dedicated connection (beside EmployeeWriter's):
 * the groups seen and the member lists read so far wait in temporary tables of that session,
 * so a member list is applied in one statement once it is complete, and one that fails half
 * way is never applied. Every write is one statement that also appends its events
 * (group.created/updated/deleted, group.member_added/removed): it commits whole or not at all.
 */
export class GroupWriter {
  constructor(
    private readonly db: QueryRunner,
    private readonly companyId: string,
    private readonly connectionId: string,
    /** A dry run's: the same questions answered by reading (see group-preview.ts). */
    private readonly sql: GroupStatements = WRITE_STATEMENTS,
  ) {}

  private started = false;

  private async start(): Promise<void> {
    this.started = true;
    // The planner over-estimates these statements (per-row member counts for the events) and
    // would JIT-compile each one: seconds of compiling for milliseconds of work.
    await this.db.query(`SET jit TO off`);
    await this.db.query(
      `CREATE TEMP TABLE IF NOT EXISTS sync_seen_group (id uuid PRIMARY KEY) ON COMMIT PRESERVE ROWS`,
    );
    await this.db.query(
      `CREATE TEMP TABLE IF NOT EXISTS sync_group_member (group_id uuid NOT NULL,
                                                        external_id text NOT NULL)
         ON COMMIT PRESERVE ROWS`,
    );
    await this.db.query(`TRUNCATE sync_seen_group, sync_group_member`);
  }

  /**
   * Upserts a batch of groups (distinct external ids) in one statement, remembers them as
   * seen, and answers every group of the batch with its id, changed or not.
   */
  async writeGroups(groups: RosterGroup[]): Promise<GroupPageCounts> {
    if (!this.started) await this.start();
    const rows = (await this.db.query(this.sql.upsertGroups, [
      this.companyId,
      this.connectionId,
      groups.map((g) => g.externalId),
      groups.map((g) => g.name),
      groups.map((g) => g.description),
    ])) as { id: string; external_id: string; change: 'created' | 'updated' | null }[];
    return {
      created: rows.filter((r) => r.change === 'created').length,
      updated: rows.filter((r) => r.change === 'updated').length,
      groups: rows.map((r) => ({ id: r.id, externalId: r.external_id })),
    };
  }

  /** Member ids read (pairs of group id and directory user id), held until applied. */
  async addMembers(groupIds: string[], externalIds: string[]): Promise<void> {
    await this.db.query(
      `INSERT INTO sync_group_member (group_id, external_id)
       SELECT * FROM unnest($1::uuid[], $2::text[])`,
      [groupIds, externalIds],
    );
  }

  /**
   * Makes each of these groups' memberships exactly its completed member list (the ids read
   * since the last call): members resolve to this connection's people by external id, ids
   * of nobody synced are ignored. Then forgets the lists.
   */
  async applyMembers(groupIds: string[]): Promise<MembershipCounts> {
    if (groupIds.length === 0) return { added: 0, removed: 0 };
    const [row] = (await this.db.query(this.sql.replaceMemberships, [
      this.companyId,
      this.connectionId,
      groupIds,
    ])) as MembershipCounts[];
    await this.db.query(`TRUNCATE sync_group_member`);
    return row;
  }

  /**
   * After a complete listing: deletes the connection's groups the run did not see, with
   * their memberships. Answers how many of each.
   */
  async deleteMissing(): Promise<{ groups: number; memberships: number }> {
    if (!this.started) {
      // Nothing seen: every group is gone. A directory without groups costs one read.
      const [{ any }] = (await this.db.query(
        `SELECT EXISTS (SELECT 1 FROM directory_group WHERE connection_id = $1) AS any`,
        [this.connectionId],
      )) as { any: boolean }[];
      if (!any) return { groups: 0, memberships: 0 };
      await this.start();
    }
    const [row] = (await this.db.query(this.sql.deleteMissing, [
      this.companyId,
      this.connectionId,
    ])) as {
      groups: number;
      memberships: number;
    }[];
    return row;
  }

  /**
   * Deletes the connection's groups with these directory ids (an incremental cycle's reported
   * deletions), with their memberships. Never part of a dry run: those are full cycles.
   */
  async deleteGroups(externalIds: string[]): Promise<{ groups: number; memberships: number }> {
    if (!externalIds.length) return { groups: 0, memberships: 0 };
    const [row] = (await this.db.query(DELETE_LISTED, [
      this.companyId,
      this.connectionId,
      externalIds,
    ])) as { groups: number; memberships: number }[];
    return row;
  }

  /** Leaves the pooled connection as it was found. */
  async end(): Promise<void> {
    if (!this.started) return;
    await this.db.query(`DROP TABLE IF EXISTS sync_seen_group, sync_group_member`);
    await this.db.query(`RESET jit`);
  }
}

/**
 * Rows that changed come back from the upsert; the others are read beside it (the statement's
 * snapshot sees them as they were, which is as they are).
 */
const UPSERT_GROUPS = `
WITH input AS (
  SELECT * FROM unnest($3::text[], $4::text[], $5::text[]) AS i(external_id, name, description)
),
written AS (
  INSERT INTO directory_group AS g (company_id, connection_id, external_id, name, description)
  SELECT $1, $2, i.external_id, i.name, i.description FROM input i
  ON CONFLICT (connection_id, external_id) DO UPDATE SET
    name = EXCLUDED.name, description = EXCLUDED.description, updated_at = now()
  WHERE (g.name, g.description) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description)
  RETURNING g.*, CASE WHEN xmax = 0 THEN 'created' ELSE 'updated' END AS change
),
events AS (
  ${insertEventsFrom(
    `(${groupEvents(
      'written',
      `'group.' || w.change`,
      `CASE WHEN w.change = 'created' THEN 0 ELSE ${memberCountOf('w')} END`,
    )}) e`,
  )}
),
batch AS (
  SELECT id, external_id, change FROM written
  UNION ALL
  SELECT g.id, g.external_id, NULL FROM directory_group g JOIN input i USING (external_id)
   WHERE g.connection_id = $2 AND g.company_id = $1
     AND NOT EXISTS (SELECT 1 FROM written w WHERE w.external_id = g.external_id)
),
seen AS (
  INSERT INTO sync_seen_group (id) SELECT id FROM batch ON CONFLICT DO NOTHING
)
SELECT * FROM batch`;

/**
 * A directory user id names one person of the connection; should two rows carry it (someone
 * whose email changed is a new row, the old one deactivated) the active, latest one counts.
 * One index lookup per member id (employee_connection_external_idx), not a scan of the roster.
 */
const REPLACE_MEMBERSHIPS = `
WITH wanted AS (
  SELECT s.group_id, e.id AS employee_id
    FROM (SELECT DISTINCT group_id, external_id FROM sync_group_member
           WHERE group_id = ANY($3::uuid[])) s
    CROSS JOIN LATERAL (
      SELECT e.id FROM employee e
       WHERE e.source_connection_id = $2 AND e.external_id = s.external_id AND e.company_id = $1
       ORDER BY e.active DESC, e.updated_at DESC, e.id LIMIT 1) e
),
added AS (
  INSERT INTO group_membership (group_id, employee_id)
  SELECT group_id, employee_id FROM wanted w
   WHERE NOT EXISTS (SELECT 1 FROM group_membership m
                      WHERE m.group_id = w.group_id AND m.employee_id = w.employee_id)
  ON CONFLICT DO NOTHING
  RETURNING group_id, employee_id
),
removed AS (
  DELETE FROM group_membership m
   WHERE m.group_id = ANY($3::uuid[])
     AND NOT EXISTS (SELECT 1 FROM wanted w
                      WHERE w.group_id = m.group_id AND w.employee_id = m.employee_id)
  RETURNING m.group_id, m.employee_id
),${membershipEvents('added', 'removed')},
events AS (${insertEventsFrom('membership_events', MEMBER_EVENT_ORDER)})
SELECT (SELECT count(*) FROM added)::int AS added, (SELECT count(*) FROM removed)::int AS removed`;

/** Deletes the groups `which` selects (alias g), with their events; counts them. */
const deleteGroupsWhere = (which: string) => `
WITH gone AS (
  DELETE FROM directory_group g
   WHERE g.company_id = $1 AND g.connection_id = $2 AND ${which}
  RETURNING g.*
),
events AS (${insertEventsFrom(`(${groupEvents('gone', `'group.deleted'`)}) e`)})
SELECT (SELECT count(*) FROM gone)::int AS groups,
       (SELECT count(*) FROM group_membership m JOIN gone ON gone.id = m.group_id)::int
         AS memberships`;

const DELETE_MISSING = deleteGroupsWhere(
  `NOT EXISTS (SELECT 1 FROM sync_seen_group s WHERE s.id = g.id)`,
);
const DELETE_LISTED = deleteGroupsWhere(`g.external_id = ANY($3::text[])`);

/** The statements of a run's group phase; each takes ($1 company, $2 connection, …). */
export interface GroupStatements {
  upsertGroups: string;
  replaceMemberships: string;
  deleteMissing: string;
}

const WRITE_STATEMENTS: GroupStatements = {
  upsertGroups: UPSERT_GROUPS,
  replaceMemberships: REPLACE_MEMBERSHIPS,
  deleteMissing: DELETE_MISSING,
};
