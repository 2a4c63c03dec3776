import type { QueryRunner } from 'typeorm';
import {
  PREVIEW_LIMIT,
  type PreviewPerson,
  type SyncPreview,
} from '../sync-jobs/sync-job.types.js';
import {
  rosterColumns,
  type EmployeeWriter,
  type PageCounts,
  type RosterUser,
} from './employee-writer.js';

type Kind = 'created' | 'updated' | 'reactivated';

/**
 * Collects a dry run's preview on the run's own connection: one short read-only statement
 * per page that classifies the page's people as the writer's upsert would, and counts them
 * as the upsert would have; at most PREVIEW_LIMIT people per kind are kept. Nothing is
 * written, so no transaction stays open across the provider's requests.
 */
export class PreviewCollector {
  readonly preview: SyncPreview = {
    created: [],
    updated: [],
    deactivated: [],
    reactivated: [],
    blockedBy: null,
  };

  constructor(
    private readonly db: QueryRunner,
    private readonly companyId: string,
    private readonly connectionId: string,
  ) {}

  /** Classifies a page; answers what the writer's upsert of it would have counted. */
  async page(users: RosterUser[]): Promise<PageCounts> {
    const room = (['created', 'updated', 'reactivated'] as const).map(
      (kind) => PREVIEW_LIMIT - this.preview[kind].length,
    );
    const rows = (await this.db.query(PREVIEW_PAGE, [
      this.companyId,
      ...rosterColumns(users),
      this.connectionId,
      Math.max(0, ...room),
    ])) as (PreviewPerson & { kind: Kind; total: number | null })[];
    const counts = { created: 0, updated: 0, unchanged: users.length };
    for (const { kind, changes, total, ...person } of rows) {
      if (total !== null) {
        // A reactivation is an update to the writer's counts.
        counts[kind === 'created' ? 'created' : 'updated'] += total;
        counts.unchanged -= total;
      } else if (this.preview[kind].length < PREVIEW_LIMIT) {
        this.preview[kind].push(kind === 'updated' ? { ...person, changes } : person);
      }
    }
    return counts;
  }

  /** Who the end of the run would deactivate (the run's `sync_seen` set is complete). */
  async missing(writer: EmployeeWriter): Promise<void> {
    this.preview.deactivated = await writer.missingPeople(PREVIEW_LIMIT);
  }
}

// The writer's rules (COALESCE keeps what the provider did not send; a returning person is
// reactivated), as a comparison instead of a write.
const PREVIEW_PAGE = `
WITH input AS (
  SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::boolean[], $9::boolean[])
    AS i(email, external_id, first_name, last_name, department, title, active, mfa_enabled)
),
classified AS (
  SELECT i.email, coalesce(i.external_id, e.external_id) AS "externalId",
         CASE WHEN e.id IS NULL THEN 'created'
              WHEN i.active AND NOT e.active THEN 'reactivated'
              ELSE 'updated' END AS kind,
         (SELECT jsonb_object_agg(f.name, jsonb_build_object('from', f.old, 'to', f.new))
            FROM (VALUES ('externalId', to_jsonb(e.external_id), to_jsonb(coalesce(i.external_id, e.external_id))),
                         ('firstName', to_jsonb(e.first_name), to_jsonb(coalesce(i.first_name, e.first_name))),
                         ('lastName', to_jsonb(e.last_name), to_jsonb(coalesce(i.last_name, e.last_name))),
                         ('department', to_jsonb(e.department), to_jsonb(coalesce(i.department, e.department))),
                         ('title', to_jsonb(e.title), to_jsonb(coalesce(i.title, e.title))),
                         ('mfaEnabled', to_jsonb(e.mfa_enabled), to_jsonb(coalesce(i.mfa_enabled, e.mfa_enabled))))
                 AS f(name, old, new)
           WHERE f.old IS DISTINCT FROM f.new) AS changes,
         e.id IS NOT NULL AND e.source_connection_id IS DISTINCT FROM $10::uuid AS moved
    FROM input i
    LEFT JOIN employee e ON e.company_id = $1 AND lower(e.email) = i.email
)
-- An updated row with no change and no move is left alone by the upsert: unchanged.
, changing AS (
  SELECT * FROM classified WHERE kind <> 'updated' OR changes IS NOT NULL OR moved
)
SELECT email, "externalId", kind, changes, NULL::int AS total FROM (
  SELECT c.*, row_number() OVER (PARTITION BY kind ORDER BY email) AS n FROM changing c
) r WHERE n <= $11
UNION ALL
SELECT NULL, NULL, kind, NULL, count(*)::int FROM changing GROUP BY kind`;
