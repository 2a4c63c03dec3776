import { useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { Empty, ErrorMessage, Loading, PageHeader, StatusBadge } from '../components.js';
import { EndpointForm } from '../endpoint-form.js';
import { href } from '../router.js';
import { SecretOnce } from '../secret-once.js';
import type { List, WebhookEndpoint } from '../types.js';
import { useApi } from '../use-api.js';
import { endpointState, eventTypesText } from '../webhook-format.js';

/** The company's webhook endpoints; an admin also creates one here (its secret shown once). */
export function WebhooksPage({ me }: PageProps) {
  const list = useApi<List<WebhookEndpoint>>('/api/webhooks');
  const endpoints = list.data?.items;
  return (
    <>
      <PageHeader title="Webhooks" />
      {list.error ? <ErrorMessage error={list.error} /> : null}
      {!endpoints && !list.error ? <Loading what="webhook endpoints" /> : null}
      {endpoints && endpoints.length === 0 ? (
        <Empty>No webhook endpoints: events are only in the Events page and GET /api/events.</Empty>
      ) : null}
      {endpoints && endpoints.length > 0 ? (
        <table class="cards">
          <caption class="visually-hidden">Webhook endpoints</caption>
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Event types</th>
              <th scope="col">State</th>
              <th scope="col">Why disabled</th>
            </tr>
          </thead>
          <tbody>
            {endpoints.map((endpoint) => (
              <tr key={endpoint.id}>
                <th scope="row" data-label="URL">
                  <a href={href(`/webhooks/${endpoint.id}`)}>{endpoint.url}</a>
                </th>
                <td data-label="Event types">{eventTypesText(endpoint.eventTypes)}</td>
                <td data-label="State">
                  <StatusBadge status={endpointState(endpoint)} />
                </td>
                <td data-label="Why disabled">{endpoint.disabledReason ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {me.role === 'admin' ? <NewEndpoint onCreated={list.reload} /> : null}
    </>
  );
}

/** An admin's form for a new endpoint; its signing secret is shown once, above the form. */
function NewEndpoint({ onCreated }: { onCreated: () => void }) {
  const [created, setCreated] = useState<{ url: string; secret: string }>();
  return (
    <section aria-labelledby="new-endpoint-title">
      <h2 id="new-endpoint-title">New endpoint</h2>
      {created ? (
        <SecretOnce secret={created.secret} what={`signing secret of ${created.url}`} />
      ) : null}
      <EndpointForm
        onSaved={(endpoint) => {
          if (endpoint.secret) setCreated({ url: endpoint.url, secret: endpoint.secret });
          onCreated();
        }}
      />
    </section>
  );
}
