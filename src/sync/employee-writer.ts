import type { QueryRunner } from 'typeorm';
import { insertEmployeeEvents } from '../events/employee-events.js';

/**
 * A directory user as a pull sync stores it: email trimmed and lower-cased (a directory's
 * endpoints disagree on case, e.g. Entra's mail and UPN, so a sync keys on one spelling).
 */
export interface RosterUser {
  email: string;
  externalId: string | null;
  firstName: string | null;
  lastName: string | null;
  /** null: the provider did not send it (keep ours); '': the provider says it is empty. */
  department: string | null;
  title: string | null;
  active: boolean;
  mfaEnabled: boolean | null;
}

/** A page as the column arrays the batch statements `unnest`, in this order. */
export function rosterColumns(users: RosterUser[]): unknown[] {
  const column = <K extends keyof RosterUser>(key: K) => users.map((u) => u[key]);
  return [
    column('email'),
    column('externalId'),
    column('firstName'),
    column('lastName'),
    column('department'),
    column('title'),
    column('active'),
    column('mfaEnabled'),
  ];
}

export interface PageCounts {
  created: number;
  updated: number;
  unchanged: number;
}

/**
 * Who a run deactivates at its end:
 * - `unseen` (a full cycle): active employees of the connection the run did not see active;
 * - `reported` (an incremental cycle): only those the change feed reported inactive or
 *   removed, or whose directory id now has another email. Nobody else: a feed's silence
 *   about someone says nothing.
 */
export type GoneRule = 'unseen' | 'reported';

/**
 * The SQL of one sync run, on one dedicated connection: the run's "seen" set (and, on an
 * incremental cycle, what the feed reported) are temporary tables of that session, so they
 * cost no WAL, need no cleanup after a crash, and let an unchanged employee row stay
 * untouched (no write at all on a no-change re-sync).
 *
 * Pages may be upserted on more connections than that one (`lanes`, taken in turn): the
 * upsert needs no temporary table, so two pages can be written at once, each in its own
 * transaction with its events, while the seen set stays on the run's own connection.
 */
export class EmployeeWriter {
  private readonly db: InTurn;
  readonly lanes: readonly InTurn[];

  constructor(
    run: QueryRunner,
    private readonly companyId: string,
    private readonly connectionId: string,
    private readonly gone: GoneRule = 'unseen',
    lanes: readonly QueryRunner[] = [run],
  ) {
    this.db = new InTurn(run);
    this.lanes = lanes.map((lane) => (lane === run ? this.db : new InTurn(lane)));
  }

  private starting: Promise<void> | undefined;
  private pagesWritten = 0;

  private get started(): boolean {
    return this.starting !== undefined;
  }

  /**
   * Set up on the first page written, so an empty directory costs no setup at all; once,
   * however many pages arrive at the same time.
   */
  private begin(): Promise<void> {
    return (this.starting ??= this.start());
  }

  private async start(): Promise<void> {
    // A sync can always be run again from the directory, so it need not wait for each page's
    // commit to reach the disk: a crash loses at most the last moments of pages, never
    // consistency (see docs/design-notes.md).
    for (const lane of new Set([this.db, ...this.lanes])) {
      await lane.query(`SET synchronous_commit TO off`);
    }
    // No key: emails are appended as they come (a duplicate does no harm to the end-of-run
    // anti-join); a unique index cost about 2.5 ms per 1,000-person page (docs/benchmarks.md).
    await this.db.query(
      `CREATE TEMP TABLE IF NOT EXISTS sync_seen (email text, external_id text)
         ON COMMIT PRESERVE ROWS`,
    );
    await this.db.query(`TRUNCATE sync_seen`);
    if (this.gone === 'reported') {
      await this.db.query(
        `CREATE TEMP TABLE IF NOT EXISTS sync_feed (email text, external_id text, active boolean)
           ON COMMIT PRESERVE ROWS`,
      );
      await this.db.query(`TRUNCATE sync_feed`);
    }
  }

  /**
   * An incremental cycle's page, as the feed reported it: the users it sent (written with
   * writePage) and the directory ids it says were removed. Read by the end-of-run rule.
   */
  async noteFeed(users: RosterUser[], removed: string[]): Promise<void> {
    await this.begin();
    if (!users.length && !removed.length) return;
    await this.db.query(
      `INSERT INTO sync_feed (email, external_id, active)
       SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[])`,
      [
        [...users.map((u) => u.email), ...removed.map(() => null)],
        [...users.map((u) => u.externalId), ...removed],
        [...users.map((u) => u.active), ...removed.map(() => false)],
      ],
    );
  }

  async activeCount(): Promise<number> {
    const [row] = await this.db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM employee
        WHERE company_id = $1 AND source_connection_id = $2 AND active`,
      [this.companyId, this.connectionId],
    );
    return row.n;
  }

  /**
   * One page: remember who is active in the directory (on the run's connection), and in one
   * statement on the next lane insert new people, update only rows where something changed,
   * and append an event for each row written. Deactivation waits for the end of the run; a
   * returning person is reactivated here. At most one page at a time per lane.
   */
  async writePage(users: RosterUser[]): Promise<PageCounts> {
    await this.begin();
    const lane = this.lanes[this.pagesWritten++ % this.lanes.length];
    // By email: two lanes writing pages that share people take their row locks in one order,
    // so they wait for each other rather than deadlock.
    const sorted = [...users].sort((a, b) => (a.email < b.email ? -1 : 1));
    const [, [row]] = await Promise.all([
      this.db.query(`INSERT INTO sync_seen (email) SELECT * FROM unnest($1::text[])`, [
        sorted.filter((u) => u.active).map((u) => u.email),
      ]),
      lane.query<{ created: number; updated: number }[]>(UPSERT_PAGE, [
        this.companyId,
        this.connectionId,
        ...rosterColumns(sorted),
      ]),
    ]);
    return { ...row, unchanged: users.length - row.created - row.updated };
  }

  /**
   * A dry run's page: only remembered as seen (active ones, with their directory ids, which
   * the group preview resolves members by), in one short statement; the roster is not touched.
   */
  async seePage(users: RosterUser[]): Promise<void> {
    if (!this.started) {
      await this.begin();
      await this.db.query(
        `CREATE INDEX IF NOT EXISTS sync_seen_external ON sync_seen (external_id)`,
      );
    }
    const active = users.filter((u) => u.active);
    await this.db.query(
      `INSERT INTO sync_seen (email, external_id) SELECT * FROM unnest($1::text[], $2::text[])`,
      [active.map((u) => u.email), active.map((u) => u.externalId)],
    );
  }

  /** Nothing written or noted: under `unseen` everyone is missing, under `reported` nobody. */
  private get nobodyMissing(): boolean {
    return !this.started && this.gone === 'reported';
  }

  private get missing(): string {
    return this.gone === 'unseen' ? UNSEEN : REPORTED_GONE;
  }

  /** Active employees of this connection that the run's rule (GoneRule) deactivates. */
  async missingCount(): Promise<number> {
    if (this.nobodyMissing) return 0;
    if (!this.started) return this.activeCount();
    const [row] = await this.db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM (${this.missing}) m`,
      [this.companyId, this.connectionId],
    );
    return row.n;
  }

  /** The first `limit` of them, by email. */
  async missingPeople(limit: number): Promise<{ email: string; externalId: string | null }[]> {
    if (this.nobodyMissing) return [];
    await this.begin(); // nothing seen: everyone is missing
    return this.db.query<{ email: string; externalId: string | null }[]>(
      `SELECT e.email, e.external_id AS "externalId" FROM employee e
        WHERE e.id IN (${this.missing}) ORDER BY lower(e.email) LIMIT $3`,
      [this.companyId, this.connectionId, limit],
    );
  }

  async deactivateMissing(): Promise<number> {
    if (this.nobodyMissing) return 0;
    await this.begin(); // nothing seen: everyone is missing
    const [row] = await this.db.query<{ n: number }[]>(
      `WITH gone AS (
         UPDATE employee e SET active = false, deactivated_at = now(), updated_at = now()
          WHERE e.id IN (${this.missing})
          RETURNING e.*, false AS created),
       events AS (${insertEmployeeEvents('gone')})
       SELECT count(*)::int AS n FROM gone`,
      [this.companyId, this.connectionId],
    );
    return row.n;
  }

  /** Leaves the pooled connection as it was found. */
  async end(): Promise<void> {
    if (!this.started) return;
    await this.db.query(`DROP TABLE IF EXISTS sync_seen, sync_feed`);
    for (const lane of new Set([this.db, ...this.lanes])) {
      await lane.query(`RESET synchronous_commit`);
    }
  }
}

/**
 * One connection's statements, one after another. The run's own connection gets a page's
 * seen-set insert while it may still be writing another page (it is a lane too) or noting
 * the feed: a `pg` client must not be handed a query while it runs one (deprecated, and
 * refused from pg 9 on).
 */
class InTurn {
  private last: Promise<unknown> = Promise.resolve();

  constructor(private readonly runner: QueryRunner) {}

  query<T = unknown>(sql: string, params?: unknown[]): Promise<T> {
    const next = this.last.then(() => this.runner.query(sql, params) as Promise<T>);
    this.last = next.catch(() => undefined);
    return next;
  }
}

/**
 * Whether incoming row `i` (the page's input, or EXCLUDED) changes existing row `e` under the
 * writer's rules: COALESCE keeps what the provider did not send, and a returning person is
 * reactivated (deactivation waits for the end of the run).
 */
const changes = (i: string) => `
  (e.source_connection_id, e.external_id, e.first_name, e.last_name, e.department, e.title,
   e.mfa_enabled)
  IS DISTINCT FROM
  (${i}.source_connection_id, COALESCE(${i}.external_id, e.external_id),
   COALESCE(${i}.first_name, e.first_name), COALESCE(${i}.last_name, e.last_name),
   COALESCE(${i}.department, e.department), COALESCE(${i}.title, e.title),
   COALESCE(${i}.mfa_enabled, e.mfa_enabled))
  OR (${i}.active AND NOT e.active)`;

const UPSERT_PAGE = `
WITH input AS (
  SELECT *, $2::uuid AS source_connection_id
    FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                $9::boolean[], $10::boolean[])
      AS i(email, external_id, first_name, last_name, department, title, active, mfa_enabled)
),
-- Only new and changed people reach the upsert: ON CONFLICT DO UPDATE locks every row it
-- finds, changed or not, so an unchanged roster would be written to on every re-sync. One
-- index lookup each (OFFSET 0 keeps it a lookup, whatever the roster's statistics say).
fresh AS (
  SELECT * FROM input i
   WHERE NOT EXISTS (
     SELECT 1 FROM employee e
      WHERE e.company_id = $1 AND lower(e.email) = i.email AND e.email IS NOT NULL
        AND NOT (${changes('i')})
     OFFSET 0)
),
written AS (
  INSERT INTO employee AS e (company_id, source_connection_id, email, external_id, first_name,
                             last_name, department, title, active, mfa_enabled, deactivated_at)
  SELECT $1, i.source_connection_id, i.email, i.external_id, i.first_name, i.last_name,
         i.department, i.title, i.active, i.mfa_enabled, CASE WHEN NOT i.active THEN now() END
    FROM fresh i
  ON CONFLICT (company_id, lower(email)) WHERE email IS NOT NULL DO UPDATE SET
    source_connection_id = EXCLUDED.source_connection_id,
    external_id    = COALESCE(EXCLUDED.external_id, e.external_id),
    first_name     = COALESCE(EXCLUDED.first_name, e.first_name),
    last_name      = COALESCE(EXCLUDED.last_name, e.last_name),
    department     = COALESCE(EXCLUDED.department, e.department),
    title          = COALESCE(EXCLUDED.title, e.title),
    mfa_enabled    = COALESCE(EXCLUDED.mfa_enabled, e.mfa_enabled),
    active         = e.active OR EXCLUDED.active,
    deactivated_at = CASE WHEN EXCLUDED.active THEN NULL ELSE e.deactivated_at END,
    updated_at     = now()
  -- Again here: a concurrent writer (a SCIM push) may have made the change in the meantime.
  WHERE ${changes('EXCLUDED')}
  RETURNING e.*, (xmax = 0) AS created
),
-- The page's events, in the same statement: they commit with the rows or not at all.
events AS (${insertEmployeeEvents('written')})
SELECT count(*) FILTER (WHERE created)::int AS created,
       count(*) FILTER (WHERE NOT created)::int AS updated
  FROM written`;

// lower(): an employee first pushed over SCIM keeps the spelling its IdP sent.
const UNSEEN = `
  SELECT e.id FROM employee e
   WHERE e.company_id = $1 AND e.source_connection_id = $2 AND e.active
     AND NOT EXISTS (SELECT 1 FROM sync_seen s WHERE s.email = lower(e.email))`;

/**
 * What an incremental cycle's feed reported gone: reported inactive; removed (a directory id
 * without an email); or a directory id now sent with another email (the old address's row
 * goes, as a full cycle would have it). Someone the same feed also sent active stays.
 *
 * One index lookup per feed row, by email or by directory id. `OFFSET 0` keeps each lookup a
 * lookup: flattened into a join, a planner working from a freshly filled roster's stale
 * statistics chose a nested loop over all 100,000 rows per feed row (1.3 s per statement).
 */
const byEmail = (where: string) => `
  SELECT e.id FROM sync_feed f CROSS JOIN LATERAL (
    SELECT e.id FROM employee e
     WHERE e.company_id = $1 AND lower(e.email) = f.email AND e.email IS NOT NULL ${where}
    OFFSET 0) e`;
const REPORTED_GONE = `
  ${byEmail('AND e.source_connection_id = $2 AND e.active')} WHERE NOT f.active
  UNION
  SELECT e.id FROM sync_feed f CROSS JOIN LATERAL (
    SELECT e.id FROM employee e
     WHERE e.source_connection_id = $2 AND e.external_id = f.external_id
       AND e.company_id = $1 AND e.active
       AND (f.email IS NULL OR (f.active AND f.email <> lower(e.email)))
    OFFSET 0) e
  EXCEPT
  ${byEmail('')} WHERE f.active`;
