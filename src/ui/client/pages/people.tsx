import { useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { api, query } from '../api.js';
import { Empty, ErrorMessage, Loading, PageHeader, Time } from '../components.js';
import { personName } from '../format.js';
import { rememberPeople } from '../people-seen.js';
import { href, navigate } from '../router.js';
import type { Connection, Employee, List, Page } from '../types.js';
import { asApiError, useApi } from '../use-api.js';

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
  const first = useApi<Page<Employee>>(`/api/employees${query({ ...filters, limit: PAGE_SIZE })}`);
  const [more, setMore] = useState<{ items: Employee[]; nextCursor: string | null }>();
  const [moreError, setMoreError] = useState<string>();

  const people = first.data ? [...first.data.items, ...(more?.items ?? [])] : undefined;
  if (people) rememberPeople(people);
  const nextCursor = more ? more.nextCursor : first.data?.nextCursor;
  const connectionName = (id: string | null) =>
    connections.data?.items.find((c) => c.id === id)?.name ?? '—';

  const edit = (name: keyof typeof filters) => (event: Event) =>
    setDraft({ ...draft, [name]: (event.currentTarget as HTMLInputElement).value });
  const apply = (event: Event) => {
    event.preventDefault();
    navigate('/people', draft);
  };
  const showMore = () => {
    if (!nextCursor) return;
    setMoreError(undefined);
    api<Page<Employee>>(
      `/api/employees${query({ ...filters, limit: PAGE_SIZE, cursor: nextCursor })}`,
    ).then(
      (page) =>
        setMore({ items: [...(more?.items ?? []), ...page.items], nextCursor: page.nextCursor }),
      (error: unknown) => setMoreError(asApiError(error).message),
    );
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
        <div class="field">
          <label for="connectionId">Connection</label>
          <select id="connectionId" value={draft.connectionId} onChange={edit('connectionId')}>
            <option value="">All</option>
            {connections.data?.items.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="button primary">
          Search
        </button>
      </form>
      {first.error ? <ErrorMessage error={first.error} /> : null}
      {!people && !first.error ? <Loading what="people" /> : null}
      {people && people.length === 0 ? (
        <Empty>
          {filters.q || filters.active || filters.connectionId
            ? 'Nobody matches these filters.'
            : 'Nobody yet: people appear here after a connection’s first sync.'}
        </Empty>
      ) : null}
      {people && people.length > 0 ? (
        <table class="cards">
          <caption class="visually-hidden">People, in email order</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Department</th>
              <th scope="col">Title</th>
              <th scope="col">Status</th>
              <th scope="col">Connection</th>
            </tr>
          </thead>
          <tbody>
            {people.map((person) => (
              <tr key={person.id}>
                <th scope="row" data-label="Name">
                  <a href={href(`/people/${person.id}`)}>
                    {personName(person) || person.email || 'unnamed'}
                  </a>
                </th>
                <td data-label="Email">{person.email}</td>
                <td data-label="Department">{person.department ?? '—'}</td>
                <td data-label="Title">{person.title ?? '—'}</td>
                <td data-label="Status">
                  {person.active ? (
                    'active'
                  ) : (
                    <>
                      deactivated <Time iso={person.deactivatedAt} empty="" />
                    </>
                  )}
                </td>
                <td data-label="Connection">{connectionName(person.connectionId)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {moreError ? <ErrorMessage error={moreError} /> : null}
      {nextCursor ? (
        <div class="pager">
          <button type="button" class="button secondary" onClick={showMore}>
            Show more
          </button>
        </div>
      ) : null}
    </>
  );
}
