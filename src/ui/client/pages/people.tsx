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
import type { Connection, Employee, Group, List, Page } from '../types.js';
import { useApi, usePaged } from '../use-api.js';

const PAGE_SIZE = 50;
/** The group filter offers the first groups by name (the API's page at most); a group page links here with its own. */
const GROUP_CHOICES = 200;

/**
 * The roster: search by email or name, filter by status, connection and group (kept in the URL, so
 * the back button and links work), and "Show more" along the API's keyset cursor.
 */
export function PeoplePage({ query: search }: PageProps) {
  const filters = {
    q: search.get('q') ?? '',
    active: search.get('active') ?? '',
    connectionId: search.get('connectionId') ?? '',
    groupId: search.get('groupId') ?? '',
  };
  const [draft, setDraft] = useState(filters);
  const connections = useApi<List<Connection>>('/api/directory');
  const list = usePaged<Employee>(`/api/employees${query({ ...filters, limit: PAGE_SIZE })}`);
  const people = list.items;
  const groups = useApi<Page<Group>>(`/api/groups${query({ limit: GROUP_CHOICES })}`);
  // The chosen group may be past the first page of choices: read it on its own.
  const chosen = useApi<Group>(filters.groupId ? `/api/groups/${filters.groupId}` : null);
  const groupChoices = [
    ...(chosen.data && !groups.data?.items.some((g) => g.id === chosen.data?.id)
      ? [chosen.data]
      : []),
    ...(groups.data?.items ?? []),
  ];

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
        <div class="field">
          <label for="groupId">Group</label>
          <select id="groupId" onChange={edit('groupId')}>
            <option value="" selected={draft.groupId === ''}>
              All
            </option>
            {groupChoices.map((g) => (
              <option key={g.id} value={g.id} selected={g.id === draft.groupId}>
                {g.name}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="button primary">
          Search
        </button>
      </form>
      {list.error ? <ErrorMessage error={list.error} /> : null}
      {!people && !list.error ? <Loading what="people" /> : null}
      {people && people.length === 0 ? (
        <Empty>
          {filters.q || filters.active || filters.connectionId || filters.groupId
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
