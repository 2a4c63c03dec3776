import { personName, statsLine } from './format.js';
import { EVENT_TYPES } from './event-types.js';
import type { DirectoryEvent, SyncStats } from './types.js';

/** The type filter's choices beyond single types: every type of one family at once. */
export const EVENT_FAMILIES = [
  { label: 'People', prefix: 'employee.' },
  { label: 'Groups', prefix: 'group.' },
  { label: 'Connections', prefix: 'connection.' },
  { label: 'API keys', prefix: 'api_key.' },
  { label: 'Webhooks', prefix: 'webhook.' },
].map((family) => ({
  label: family.label,
  types: EVENT_TYPES.filter((type) => type.startsWith(family.prefix)).join(','),
}));

/** The employee event types: a person's history. */
export const EMPLOYEE_EVENT_TYPES = EVENT_TYPES.filter((type) => type.startsWith('employee.'));

/** What an event is about, for a row: a name, where to see it, and what changed. */
export interface EventSummary {
  subject: string;
  /** A dashboard path of the subject, when it has a page. */
  path?: string;
  detail: string;
}

type Person = {
  id?: string;
  email?: string | null;
  firstName?: string | null;
  lastName?: string | null;
};
type Named = { id?: string; name?: string };

const person = (data: unknown): Person => data ?? {};
const named = (data: unknown): Named => data ?? {};
const personLabel = (p: Person) =>
  [personName({ firstName: p.firstName ?? null, lastName: p.lastName ?? null }), p.email]
    .filter(Boolean)
    .join(' · ') ||
  (p.id ?? 'someone');

/** A field of `data` that should be text ('' when it is missing or not text). */
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Reads `data` as the README documents it per type; anything missing shows as a dash. */
export function summarize(event: DirectoryEvent): EventSummary {
  const data = event.data;
  switch (event.type) {
    case 'employee.created':
    case 'employee.deactivated':
    case 'employee.reactivated':
    case 'employee.updated': {
      const p = person(data);
      const fields = (data.changedFields as string[] | undefined) ?? [];
      return {
        subject: personLabel(p),
        path: p.id ? `/people/${p.id}` : undefined,
        detail: fields.length ? `changed: ${fields.join(', ')}` : '',
      };
    }
    case 'group.created':
    case 'group.updated':
    case 'group.deleted':
      return { subject: named(data).name ?? '—', detail: '' };
    case 'group.member_added':
    case 'group.member_removed': {
      const p = person(data.employee);
      return {
        subject: personLabel(p),
        path: p.id ? `/people/${p.id}` : undefined,
        detail: `group: ${named(data.group).name ?? '—'}`,
      };
    }
    case 'connection.created':
    case 'connection.updated':
    case 'connection.deleted': {
      const c = named(data);
      return {
        subject: c.name ?? '—',
        path: c.id && event.type !== 'connection.deleted' ? `/connections/${c.id}` : undefined,
        detail: '',
      };
    }
    case 'connection.sync_succeeded':
    case 'connection.sync_failed': {
      const jobId = data.jobId as string | null | undefined;
      const stats = data.stats as SyncStats | undefined;
      return {
        subject: jobId ? 'sync job' : 'sync',
        path: jobId ? `/jobs/${jobId}` : undefined,
        detail: stats ? statsLine(stats) : text(data.error),
      };
    }
    case 'api_key.created':
    case 'api_key.revoked':
      return { subject: named(data).name ?? '—', detail: text(data.role) };
    case 'webhook.test':
      return { subject: text(data.webhookId) || '—', detail: '' };
    case 'webhook.disabled':
      return { subject: text(data.url) || '—', detail: text(data.disabledReason) };
  }
}
