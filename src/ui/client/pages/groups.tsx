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
  Time,
} from '../components.js';
import { connectionNames } from '../people-table.js';
import { href, navigate } from '../router.js';
import type { Connection, Group, List } from '../types.js';
import { useApi, usePaged } from '../use-api.js';

const PAGE_SIZE = 100;

/** The company's groups from every connection, in name order, by connection. */
export function GroupsPage({ query: search }: PageProps) {
  const connectionId = search.get('connectionId') ?? '';
  const [draft, setDraft] = useState(connectionId);
  const connections = useApi<List<Connection>>('/api/directory');
  const list = usePaged<Group>(`/api/groups${query({ connectionId, limit: PAGE_SIZE })}`);
  const groups = list.items;
  const connectionName = connectionNames(connections.data?.items);

  return (
    <>
      <PageHeader title="Groups" />
      <form
        class="filters"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          navigate('/groups', { connectionId: draft });
        }}
      >
        <ConnectionSelect connections={connections.data?.items} value={draft} onChange={setDraft} />
        <button type="submit" class="button primary">
          Show
        </button>
      </form>
      {list.error ? <ErrorMessage error={list.error} /> : null}
      {!groups && !list.error ? <Loading what="groups" /> : null}
      {groups && groups.length === 0 ? (
        <Empty>
          {connectionId
            ? 'This connection has no groups.'
            : 'No groups yet: they come with a sync (or a SCIM push) of a directory that has them.'}
        </Empty>
      ) : null}
      {groups && groups.length > 0 ? (
        <table class="cards">
          <caption class="visually-hidden">Groups, in name order</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Members</th>
              <th scope="col">Description</th>
              <th scope="col">Connection</th>
              <th scope="col">Changed</th>
            </tr>
          </thead>
          <tbody>
            {groups.map((group) => (
              <tr key={group.id}>
                <th scope="row" data-label="Name">
                  <a href={href(`/groups/${group.id}`)}>{group.name}</a>
                </th>
                <td data-label="Members">{group.memberCount}</td>
                <td data-label="Description">{group.description ?? '—'}</td>
                <td data-label="Connection">{connectionName(group.connectionId)}</td>
                <td data-label="Changed">
                  <Time iso={group.updatedAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <ShowMore list={list} />
    </>
  );
}
