import type { PageProps } from '../app.js';
import { ConnectionActions } from '../connection-actions.js';
import { Empty, ErrorMessage, Loading, PageHeader, StatusBadge, Time } from '../components.js';
import { nextRun, TYPE_LABELS } from '../format.js';
import { href } from '../router.js';
import type { Connection, List } from '../types.js';
import { useApi } from '../use-api.js';

/** Every connection of the company with its health at a glance, and its buttons for admins. */
export function ConnectionsPage({ me }: PageProps) {
  const { data, error } = useApi<List<Connection>>('/api/directory');
  const admin = me.role === 'admin';

  return (
    <>
      <PageHeader title="Connections">
        {admin ? (
          <a class="button primary" href={href('/connections/new')}>
            New connection
          </a>
        ) : null}
      </PageHeader>
      {error ? <ErrorMessage error={error} /> : null}
      {!data && !error ? <Loading what="connections" /> : null}
      {data && data.items.length === 0 ? (
        <Empty>
          No connections yet.{' '}
          {admin
            ? 'Create one to start syncing your directory.'
            : 'An admin of your company can create one.'}
        </Empty>
      ) : null}
      {data && data.items.length > 0 ? (
        <table class="cards">
          <caption class="visually-hidden">Directory connections</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Status</th>
              <th scope="col">Last sync</th>
              <th scope="col">Next run</th>
              <th scope="col">Last error</th>
              {admin ? <th scope="col">Actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {data.items.map((connection) => (
              <tr key={connection.id}>
                <th scope="row" data-label="Name">
                  <a href={href(`/connections/${connection.id}`)}>{connection.name}</a>
                </th>
                <td data-label="Type">{TYPE_LABELS[connection.type]}</td>
                <td data-label="Status">
                  <StatusBadge status={connection.status} />
                </td>
                <td data-label="Last sync">
                  <Time iso={connection.lastSyncAt} empty="never" />
                  {connection.lastSyncCount !== null ? (
                    <span class="muted"> · {connection.lastSyncCount} users</span>
                  ) : null}
                </td>
                <td data-label="Next run">
                  <NextRun connection={connection} />
                </td>
                <td data-label="Last error" class="error-text">
                  {connection.lastError ?? <span class="muted">—</span>}
                </td>
                {admin ? (
                  <td data-label="Actions">
                    <ConnectionActions connection={connection} />
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}

export function NextRun({ connection }: { connection: Connection }) {
  const next = nextRun(connection);
  switch (next.kind) {
    case 'pushed':
      return <span class="muted">pushed by the IdP</span>;
    case 'manual':
      return <span class="muted">manual only</span>;
    case 'due':
      return <span>due now</span>;
    case 'at':
      return <Time iso={next.at} />;
  }
}
