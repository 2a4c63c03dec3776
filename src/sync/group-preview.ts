import type { GroupStatements } from './group-writer.js';

/**
 * A dry run's group phase: GroupWriter's statements as reads, with the same parameters and
 * answers, so syncGroups counts what a real run would change without changing it. Only the
 * run's temporary tables are written (short statements, no transaction left open).
 */

/** A group the directory lists and we do not have gets a stand-in id for its member list. */
const PREVIEW_GROUPS = `
WITH input AS (
  SELECT * FROM unnest($3::text[], $4::text[], $5::text[]) AS i(external_id, name, description)
),
batch AS (
  SELECT coalesce(g.id, gen_random_uuid()) AS id, i.external_id,
         CASE WHEN g.id IS NULL THEN 'created'
              WHEN (g.name, g.description) IS DISTINCT FROM (i.name, i.description)
              THEN 'updated' END AS change
    FROM input i
    LEFT JOIN directory_group g
      ON g.connection_id = $2 AND g.company_id = $1 AND g.external_id = i.external_id
),
seen AS (
  INSERT INTO sync_seen_group (id) SELECT id FROM batch ON CONFLICT DO NOTHING
)
SELECT * FROM batch`;

/**
 * Members resolve as in the real statement; a member id that names nobody of the connection
 * yet but someone this run saw (a person it would create or move here) would be added too.
 */
const PREVIEW_MEMBERSHIPS = `
WITH wanted AS (
  SELECT s.group_id, e.id AS employee_id
    FROM (SELECT DISTINCT group_id, external_id FROM sync_group_member
           WHERE group_id = ANY($3::uuid[])) s
    LEFT JOIN LATERAL (
      SELECT e.id FROM employee e
       WHERE e.source_connection_id = $2 AND e.external_id = s.external_id AND e.company_id = $1
       ORDER BY e.active DESC, e.updated_at DESC, e.id LIMIT 1) e ON true
   WHERE e.id IS NOT NULL
      OR EXISTS (SELECT 1 FROM sync_seen x WHERE x.external_id = s.external_id)
)
SELECT (SELECT count(*) FROM wanted w
         WHERE NOT EXISTS (SELECT 1 FROM group_membership m
                            WHERE m.group_id = w.group_id AND m.employee_id = w.employee_id))::int
         AS added,
       (SELECT count(*) FROM group_membership m
         WHERE m.group_id = ANY($3::uuid[])
           AND NOT EXISTS (SELECT 1 FROM wanted w
                            WHERE w.group_id = m.group_id AND w.employee_id = m.employee_id))::int
         AS removed`;

const PREVIEW_DELETED = `
WITH gone AS (
  SELECT g.id FROM directory_group g
   WHERE g.company_id = $1 AND g.connection_id = $2
     AND NOT EXISTS (SELECT 1 FROM sync_seen_group s WHERE s.id = g.id)
)
SELECT (SELECT count(*) FROM gone)::int AS groups,
       (SELECT count(*) FROM group_membership m JOIN gone ON gone.id = m.group_id)::int
         AS memberships`;

export const PREVIEW_STATEMENTS: GroupStatements = {
  upsertGroups: PREVIEW_GROUPS,
  replaceMemberships: PREVIEW_MEMBERSHIPS,
  deleteMissing: PREVIEW_DELETED,
};
