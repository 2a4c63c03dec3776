import { employeeJson, isoTime } from './employee-events.js';

/**
 * The group events of set-based writes, as SQL of the writing statement itself (see
 * employee-events.ts): a statement's CTEs return what it wrote, these build the events from
 * them, and `insertEventsFrom` appends them in the same statement.
 */

/** A group's members as the statement's snapshot sees them (before its own writes). */
export function memberCountOf(g: string): string {
  return `(SELECT count(*) FROM group_membership mc WHERE mc.group_id = ${g}.id)::int`;
}

/** The `/api/groups` item of group row `g` (see GroupsService), as jsonb. */
export function groupJson(g: string, memberCount = memberCountOf(g)): string {
  return `jsonb_build_object(
    'id', ${g}.id, 'connectionId', ${g}.connection_id, 'externalId', ${g}.external_id,
    'name', ${g}.name, 'description', ${g}.description, 'memberCount', ${memberCount},
    'createdAt', ${isoTime(`${g}.created_at`)}, 'updatedAt', ${isoTime(`${g}.updated_at`)})`;
}

/**
 * One event per group row of `source` (a CTE returning whole rows, `RETURNING g.*`), of the
 * type the SQL expression `type` gives; `memberCount` as the event should show it.
 */
export function groupEvents(source: string, type: string, memberCount = memberCountOf('w')) {
  return `SELECT w.company_id, w.connection_id, ${type} AS type, ${groupJson('w', memberCount)} AS data
            FROM ${source} w`;
}

/**
 * The CTEs `membership_changes` and `membership_events` of a statement that added the
 * (group_id, employee_id) rows of CTE `added` and removed those of `removed`: one
 * `group.member_added` or `group.member_removed` event each, `{group, employee}`, the group
 * as after the statement (its members counted with the statement's own changes). Either
 * CTE may be null: none of that kind.
 */
export function membershipEvents(added: string | null, removed: string | null): string {
  const none = `(SELECT NULL::uuid AS group_id, NULL::uuid AS employee_id WHERE false) n`;
  return `
    membership_changes AS (
      SELECT group_id, employee_id, 'group.member_added' AS type, 1 AS delta FROM ${added ?? none}
      UNION ALL
      SELECT group_id, employee_id, 'group.member_removed', -1 FROM ${removed ?? none}
    ),
    membership_groups AS (
      SELECT g.*, ${memberCountOf('g')} + d.delta AS member_count
        FROM (SELECT group_id, sum(delta)::int AS delta FROM membership_changes GROUP BY group_id) d
        JOIN directory_group g ON g.id = d.group_id
    ),
    membership_events AS (
      SELECT g.company_id, g.connection_id, c.type,
             jsonb_build_object('group', ${groupJson('g', 'g.member_count')},
                                'employee', ${employeeJson('e')}) AS data,
             c.group_id, lower(e.email) AS email
        FROM membership_changes c
        JOIN membership_groups g ON g.id = c.group_id
        JOIN employee e ON e.id = c.employee_id
    )`;
}

/** `membership_events` in a readable order: by group, removals first, then by email. */
export const MEMBER_EVENT_ORDER = `group_id, type DESC, email`;
