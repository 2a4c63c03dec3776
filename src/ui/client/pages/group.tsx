import type { PageProps } from '../app.js';
import { query } from '../api.js';
import { Empty, ErrorMessage, Loading, PageHeader, ShowMore, Time } from '../components.js';
import { connectionNames, PeopleTable } from '../people-table.js';
import { href } from '../router.js';
import type { Connection, Employee, Group, List } from '../types.js';
import { useApi, usePaged } from '../use-api.js';

const PAGE_SIZE = 100;

/** One group and its members, in email order. */
export function GroupPage({ params }: PageProps) {
  const group = useApi<Group>(`/api/groups/${params.id}`);
  const connections = useApi<List<Connection>>('/api/directory');
  const members = usePaged<Employee>(
    `/api/groups/${params.id}/members${query({ limit: PAGE_SIZE })}`,
  );
  const g = group.data;
  if (group.error && !g) return <ErrorMessage error={group.error} />;
  if (!g) return <Loading what="the group" />;
  const connectionName = connectionNames(connections.data?.items);

  return (
    <>
      <PageHeader title={g.name}>
        <a class="button secondary" href={href('/people', { groupId: g.id })}>
          Find in People
        </a>
      </PageHeader>
      <dl class="details">
        <dt>Members</dt>
        <dd>{g.memberCount}</dd>
        <dt>Description</dt>
        <dd>{g.description ?? '—'}</dd>
        <dt>Connection</dt>
        <dd>
          {g.connectionId ? (
            <a href={href(`/connections/${g.connectionId}`)}>{connectionName(g.connectionId)}</a>
          ) : (
            '—'
          )}
        </dd>
        <dt>Id in the directory</dt>
        <dd>{g.externalId ? <code>{g.externalId}</code> : '—'}</dd>
        <dt>First seen</dt>
        <dd>
          <Time iso={g.createdAt} />
        </dd>
        <dt>Last changed</dt>
        <dd>
          <Time iso={g.updatedAt} />
        </dd>
      </dl>
      <section aria-labelledby="members-title">
        <h2 id="members-title">Members</h2>
        {members.error ? <ErrorMessage error={members.error} /> : null}
        {!members.items && !members.error ? <Loading what="members" /> : null}
        {members.items?.length === 0 ? <Empty>This group has no members.</Empty> : null}
        {members.items?.length ? (
          <PeopleTable
            people={members.items}
            caption={`Members of ${g.name}, in email order`}
            connectionName={connectionName}
          />
        ) : null}
        <ShowMore list={members} />
      </section>
    </>
  );
}
