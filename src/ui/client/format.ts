import type { Connection, Job, SyncStats } from './types.js';

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1_000],
];

/** "3 minutes ago", "in 2 hours"; the exact time goes in a title or a <time> element. */
export function fromNow(iso: string, now = Date.now()): string {
  const delta = Date.parse(iso) - now;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(delta) >= ms || unit === 'second')
      return relative.format(Math.round(delta / ms), unit);
  }
  return iso;
}

export const exactTime = (iso: string): string => new Date(iso).toLocaleString();

/** "1.2 s", "3 min 20 s" between two instants (the second one defaults to now). */
export function duration(fromIso: string, toIso: string | null, now = Date.now()): string {
  const ms = (toIso ? Date.parse(toIso) : now) - Date.parse(fromIso);
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export const isActiveJob = (job: Pick<Job, 'status'>): boolean =>
  job.status === 'PENDING' || job.status === 'RUNNING';

export type NextRun =
  { kind: 'pushed' } | { kind: 'manual' } | { kind: 'due' } | { kind: 'at'; at: string };

/**
 * When the scheduler will next start a sync, from the API's `nextSyncAt`: "due" when that
 * has passed (the scheduler's next round starts it).
 */
export function nextRun(connection: Connection, now = Date.now()): NextRun {
  if (connection.type === 'scim') return { kind: 'pushed' };
  if (connection.nextSyncAt === null) return { kind: 'manual' };
  return Date.parse(connection.nextSyncAt) <= now
    ? { kind: 'due' }
    : { kind: 'at', at: connection.nextSyncAt };
}

export const TYPE_LABELS: Record<Connection['type'], string> = {
  okta: 'Okta',
  'entra-id': 'Microsoft Entra ID',
  'google-workspace': 'Google Workspace',
  ldap: 'LDAP / Active Directory',
  'aws-identity-center': 'AWS IAM Identity Center',
  scim: 'SCIM 2.0 push',
};

export function personName(person: { firstName: string | null; lastName: string | null }): string {
  return [person.firstName, person.lastName].filter(Boolean).join(' ');
}

export const STAT_NAMES = [
  'fetched',
  'created',
  'updated',
  'unchanged',
  'deactivated',
  'skipped',
] as const satisfies (keyof SyncStats)[];

/**
 * "450 fetched · 3 created · 2 deactivated" (zeros left out, except fetched), after
 * "incremental · " when the run read only the change feed.
 */
export function statsLine(stats: SyncStats | null): string {
  if (!stats) return '—';
  const counts = STAT_NAMES.filter((name) => name === 'fetched' || stats[name] > 0).map(
    (name) => `${stats[name]} ${name}`,
  );
  return [...(stats.mode === 'incremental' ? ['incremental'] : []), ...counts].join(' · ');
}
