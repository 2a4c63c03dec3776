import { useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { api, query } from '../api.js';
import { ConnectionSelect, Empty, ErrorMessage, Loading, PageHeader } from '../components.js';
import { EventTable } from '../event-table.js';
import { EVENT_TYPES } from '../event-types.js';
import { EVENT_FAMILIES } from '../events.js';
import { navigate } from '../router.js';
import type { Connection, DirectoryEvent, EventPage, List } from '../types.js';
import { asApiError, useApi } from '../use-api.js';

const PAGE_SIZE = 100;

/**
 * The company's event stream as GET /api/events gives it: oldest first from the oldest event
 * kept, then "Load newer" along the cursor (which never skips an event, and with nothing new
 * stays where it was). The filters (type or family, connection) are kept in the URL.
 */
export function EventsPage({ query: search }: PageProps) {
  const filters = {
    types: search.get('types') ?? '',
    connectionId: search.get('connectionId') ?? '',
  };
  const [draft, setDraft] = useState(filters);
  const connections = useApi<List<Connection>>('/api/directory');
  const first = useApi<EventPage>(`/api/events${query({ ...filters, limit: PAGE_SIZE })}`);
  const [newer, setNewer] = useState<{ items: DirectoryEvent[]; cursor: string }>();
  const [loading, setLoading] = useState(false);
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<string>();

  const events = first.data ? [...first.data.items, ...(newer?.items ?? [])] : undefined;
  const cursor = newer?.cursor ?? first.data?.nextCursor;

  const loadNewer = () => {
    if (!cursor) return;
    setLoading(true);
    setError(undefined);
    setNotice(undefined);
    api<EventPage>(`/api/events${query({ ...filters, after: cursor, limit: PAGE_SIZE })}`).then(
      (page) => {
        setLoading(false);
        setNewer({ items: [...(newer?.items ?? []), ...page.items], cursor: page.nextCursor });
        setNotice(
          page.items.length
            ? `${page.items.length} newer event${page.items.length === 1 ? '' : 's'}.`
            : 'Nothing newer yet.',
        );
      },
      (failure: unknown) => {
        setLoading(false);
        setError(asApiError(failure).message);
      },
    );
  };

  return (
    <>
      <PageHeader title="Events" />
      <form
        class="filters"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          navigate('/events', draft);
        }}
      >
        <div class="field">
          <label for="types">Type</label>
          <select
            id="types"
            value={draft.types}
            onChange={(event) => setDraft({ ...draft, types: event.currentTarget.value })}
          >
            <option value="">All types</option>
            <optgroup label="Families">
              {EVENT_FAMILIES.map((family) => (
                <option key={family.label} value={family.types}>
                  {family.label} (all)
                </option>
              ))}
            </optgroup>
            <optgroup label="One type">
              {EVENT_TYPES.map((type) => (
                <option key={type} value={type}>
                  {type}
                </option>
              ))}
            </optgroup>
          </select>
        </div>
        <ConnectionSelect
          connections={connections.data?.items}
          value={draft.connectionId}
          onChange={(connectionId) => setDraft({ ...draft, connectionId })}
        />
        <button type="submit" class="button primary">
          Show
        </button>
      </form>
      {first.error ? <ErrorMessage error={first.error} /> : null}
      {!events && !first.error ? <Loading what="events" /> : null}
      {events && events.length === 0 ? (
        <Empty>
          {filters.types || filters.connectionId
            ? 'No events match these filters yet.'
            : 'No events yet: a sync, a SCIM push or a change of a connection or API key writes them.'}
        </Empty>
      ) : null}
      {events && events.length > 0 ? (
        <EventTable events={events} caption="The company's events, oldest first" />
      ) : null}
      {error ? <ErrorMessage error={error} /> : null}
      {events ? (
        <div class="pager">
          <button type="button" class="button secondary" disabled={loading} onClick={loadNewer}>
            {loading ? 'Loading…' : 'Load newer'}
          </button>
          <span class="muted" role="status">
            {notice ?? ''}
          </span>
        </div>
      ) : null}
    </>
  );
}
