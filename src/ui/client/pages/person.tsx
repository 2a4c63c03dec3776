import { useEffect, useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { api, query } from '../api.js';
import { Empty, ErrorMessage, Loading, PageHeader, Time } from '../components.js';
import { EventTable } from '../event-table.js';
import { EMPLOYEE_EVENT_TYPES } from '../events.js';
import { personName } from '../format.js';
import { href } from '../router.js';
import type { Connection, DirectoryEvent, EmployeeDetail, EventPage } from '../types.js';
import { asApiError, useApi } from '../use-api.js';

/** How much of the event log the page reads for one person's events, at most. */
const EVENT_PAGE_SIZE = 1000;
const EVENT_PAGES = 5;
const SHOWN_EVENTS = 20;

/** A person's own events and their group changes (the types a person can be the subject of). */
const PERSON_EVENT_TYPES = [
  ...EMPLOYEE_EVENT_TYPES,
  'group.member_added',
  'group.member_removed',
].join(',');

/** One person: their fields, their groups, and what happened to them lately. */
export function PersonPage({ params }: PageProps) {
  const person = useApi<EmployeeDetail>(`/api/employees/${params.id}`);
  const connections = useApi<{ items: Connection[] }>('/api/directory');
  const p = person.data;
  if (person.error && !p) return <ErrorMessage error={person.error} />;
  if (!p) return <Loading what="the person" />;
  const { groups } = p;

  const connection = connections.data?.items.find((c) => c.id === p.connectionId);
  return (
    <>
      <PageHeader title={personName(p) || p.email} />
      <dl class="details">
        <dt>Email</dt>
        <dd>{p.email || '—'}</dd>
        <dt>Status</dt>
        <dd>
          {p.active ? (
            'active'
          ) : (
            <>
              deactivated <Time iso={p.deactivatedAt} empty="" />
            </>
          )}
        </dd>
        <dt>Department</dt>
        <dd>{p.department ?? '—'}</dd>
        <dt>Title</dt>
        <dd>{p.title ?? '—'}</dd>
        <dt>MFA</dt>
        <dd>{p.mfaEnabled === null ? 'unknown' : p.mfaEnabled ? 'enabled' : 'not enabled'}</dd>
        <dt>Connection</dt>
        <dd>
          {connection ? <a href={href(`/connections/${connection.id}`)}>{connection.name}</a> : '—'}
        </dd>
        <dt>Id in the directory</dt>
        <dd>{p.externalId ? <code>{p.externalId}</code> : '—'}</dd>
        <dt>First seen</dt>
        <dd>
          <Time iso={p.createdAt} />
        </dd>
        <dt>Last changed</dt>
        <dd>
          <Time iso={p.updatedAt} />
        </dd>
      </dl>
      <section aria-labelledby="groups-title">
        <h2 id="groups-title">Groups</h2>
        {groups.length === 0 ? <Empty>Not a member of any group.</Empty> : null}
        {groups.length ? (
          <ul class="groups">
            {groups.map((group) => (
              <li key={group.id}>
                <a href={href(`/groups/${group.id}`)}>{group.name}</a>
              </li>
            ))}
          </ul>
        ) : null}
      </section>
      <PersonEvents personId={p.id} connectionId={p.connectionId} />
    </>
  );
}

interface Found {
  events: DirectoryEvent[];
  /** The bound was reached before the end of the log: newer events may be unread. */
  truncated: boolean;
}

const isAbout = (personId: string) => (event: DirectoryEvent) =>
  event.data.id === personId ||
  (event.data.employee as { id?: string } | undefined)?.id === personId;

/**
 * GET /api/events has no filter by person: this reads the person's connection's people
 * events from the oldest kept, at most EVENT_PAGES pages, and keeps this person's (newest
 * first). A larger log is cut short, and the page says so.
 */
function PersonEvents({
  personId,
  connectionId,
}: {
  personId: string;
  connectionId: string | null;
}) {
  const [found, setFound] = useState<Found>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    let gone = false;
    const read = async (): Promise<Found> => {
      const events: DirectoryEvent[] = [];
      let after: string | undefined;
      for (let page = 0; page < EVENT_PAGES; page++) {
        const batch = await api<EventPage>(
          `/api/events${query({ types: PERSON_EVENT_TYPES, connectionId, after, limit: EVENT_PAGE_SIZE })}`,
        );
        events.push(...batch.items.filter(isAbout(personId)));
        if (batch.items.length < EVENT_PAGE_SIZE) return { events, truncated: false };
        after = batch.nextCursor;
      }
      return { events, truncated: true };
    };
    read().then(
      (result) => !gone && setFound(result),
      (failure: unknown) => !gone && setError(asApiError(failure).message),
    );
    return () => {
      gone = true;
    };
  }, [personId, connectionId]);

  const recent = found?.events.slice(-SHOWN_EVENTS).reverse();
  return (
    <section aria-labelledby="person-events-title">
      <h2 id="person-events-title">Recent events</h2>
      {error ? <ErrorMessage error={error} /> : null}
      {!found && !error ? <Loading what="their events" /> : null}
      {recent && recent.length === 0 ? <Empty>No events about this person.</Empty> : null}
      {recent && recent.length > 0 ? (
        <EventTable events={recent} caption="Events about this person, newest first" />
      ) : null}
      {found?.truncated ? (
        <p class="muted">
          Only the oldest {EVENT_PAGES * EVENT_PAGE_SIZE} events of this connection were read; see{' '}
          <a href={href('/events')}>Events</a> for the rest.
        </p>
      ) : null}
    </section>
  );
}
