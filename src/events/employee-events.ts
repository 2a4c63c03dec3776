import { insertEventsFrom } from './event-log.js';
import type { EmployeeField } from './event-types.js';

/**
 * The employee events of a set-based write, as SQL of the writing statement itself.
 *
 * `source` is a CTE of that statement returning whole employee rows as written (`RETURNING
 * e.*`) plus `created boolean`. The row as it was before is the one the statement's snapshot
 * still sees (a statement never sees its own writes). Each row gives one event:
 * created, deactivated, reactivated, or updated with the API names of the fields that
 * changed; a row whose fields did not change gives none.
 *
 * Should another transaction change the same person between this statement's snapshot and
 * its write (a SCIM push racing a pull sync for one email), `changedFields` also names what
 * that transaction changed; `data` is always the row as written.
 */
export function employeeChanges(source: string): string {
  const changed = COLUMNS.map(
    ([column, field]) => `CASE WHEN w.${column} IS DISTINCT FROM o.${column} THEN '${field}' END`,
  );
  return `
    SELECT company_id, connection_id, type,
           CASE WHEN type = 'employee.updated'
                THEN data || jsonb_build_object('changedFields', to_jsonb(fields))
                ELSE data END AS data
      FROM (SELECT w.company_id, w.source_connection_id AS connection_id,
                   CASE WHEN w.created THEN 'employee.created'
                        WHEN o.active AND NOT w.active THEN 'employee.deactivated'
                        WHEN NOT o.active AND w.active THEN 'employee.reactivated'
                        ELSE 'employee.updated' END AS type,
                   array_remove(ARRAY[${changed.join(', ')}], NULL) AS fields,
                   ${employeeJson('w')} AS data
              FROM ${source} w
              -- OFFSET 0 keeps the lookup a subquery, skipped for created rows (a first sync
              -- creates everyone: no lookup at all).
              LEFT JOIN LATERAL (SELECT * FROM employee o
                                  WHERE o.id = w.id AND NOT w.created OFFSET 0) o ON true) c
     WHERE type <> 'employee.updated' OR cardinality(fields) > 0`;
}

/** The INSERT of `source`'s employee events, for a data-modifying CTE (see `employeeChanges`). */
export function insertEmployeeEvents(source: string): string {
  return insertEventsFrom(`(${employeeChanges(source)}) changes`);
}

/**
 * One statement writing employee rows (`INSERT|UPDATE … RETURNING *, <bool> AS created`)
 * together with their events; it answers the ids written.
 */
export function withEmployeeEvents(write: string): string {
  return `WITH written AS (${write}), events AS (${insertEmployeeEvents('written')})
          SELECT id FROM written`;
}

/** The `/api/employees` item of employee row `e`, as jsonb (see EmployeesService). */
export function employeeJson(e: string): string {
  return `jsonb_build_object(
    'id', ${e}.id, 'email', ${e}.email, 'firstName', ${e}.first_name,
    'lastName', ${e}.last_name, 'department', NULLIF(${e}.department, ''),
    'title', NULLIF(${e}.title, ''), 'active', ${e}.active, 'mfaEnabled', ${e}.mfa_enabled,
    'connectionId', ${e}.source_connection_id, 'externalId', ${e}.external_id,
    'createdAt', ${isoTime(`${e}.created_at`)}, 'updatedAt', ${isoTime(`${e}.updated_at`)},
    'deactivatedAt', ${isoTime(`${e}.deactivated_at`)})`;
}

/** As JSON.stringify writes a Date: UTC, milliseconds, `Z`. */
export function isoTime(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** The stored columns behind each field `changedFields` may name. */
const COLUMNS: [string, EmployeeField][] = [
  ['email', 'email'],
  ['first_name', 'firstName'],
  ['last_name', 'lastName'],
  ['department', 'department'],
  ['title', 'title'],
  ['mfa_enabled', 'mfaEnabled'],
  ['source_connection_id', 'connectionId'],
  ['external_id', 'externalId'],
];
