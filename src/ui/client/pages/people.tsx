import { useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { query } from '../api.js';
import {
  ConnectionSelect,
  Empty,
  ErrorMessage,
  Loading,
  PageHeader,
  ShowMore,
} from '../components.js';
import { connectionNames, PeopleTable } from '../people-table.js';
import { navigate } from '../router.js';
import type { Connection, Employee, List } from '../types.js';
import { useApi, usePaged } from '../use-api.js';

const PAGE_SIZE = 50;

/**
 * The roster: search by email or name, filter by status and connection (kept in the URL, so
 * the back button and links work), and "Show more" along the API's keyset cursor.
 */
export function PeoplePage({ query: search }: PageProps) {
  const filters = {
    q: search.get('q') ?? '',
    active: search.get('active') ?? '',
    connectionId: search.get('connectionId') ?? '',
  };
  const [draft, setDraft] = useState(filters);
  const connections = useApi<List<Connection>>('/api/directory');
  const list = usePaged<Employee>(`/api/employees${query({ ...filters, limit: PAGE_SIZE })}`);
  const people = list.items;

  const edit = (name: keyof typeof filters) => (event: Event) =>
    setDraft({ ...draft, [name]: (event.currentTarget as HTMLInputElement).value });
  const apply = (event: Event) => {
    event.preventDefault();
    navigate('/people', draft);
  };
  return (
    <>
      <PageHeader title="People" />
      <form class="filters" role="search" onSubmit={apply}>
        <div class="field">
          <label for="q">Search</label>
          <input
            id="q"
            type="search"
            placeholder="email or name"
            value={draft.q}
            onInput={edit('q')}
          />
        </div>
        <div class="field">
          <label for="active">Status</label>
          <select id="active" value={draft.active} onChange={edit('active')}>
            <option value="">All</option>
            <option value="true">Active</option>
            <option value="false">Deactivated</option>
          </select>
        </div>
        <ConnectionSelect
          connections={connections.data?.items}
          value={draft.connectionId}
          onChange={(connectionId) => setDraft({ ...draft, connectionId })}
        />
        <button type="submit" class="button primary">
          Search
        </button>
      </form>
      {list.error ? <ErrorMessage error={list.error} /> : null}
      {!people && !list.error ? <Loading what="people" /> : null}
      {people && people.length === 0 ? (
        <Empty>
          {filters.q || filters.active || filters.connectionId
            ? 'Nobody matches these filters.'
            : 'Nobody yet: people appear here after a connection’s first sync.'}
        </Empty>
      ) : null}
      {people && people.length > 0 ? (
        <PeopleTable
          people={people}
          caption="People, in email order"
          connectionName={connectionNames(connections.data?.items)}
        />
      ) : null}
      <ShowMore list={list} />
    </>
  );
}
