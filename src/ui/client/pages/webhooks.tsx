import { useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { api, type ApiError } from '../api.js';
import { Empty, ErrorMessage, Loading, PageHeader, StatusBadge } from '../components.js';
import { href } from '../router.js';
import { SecretOnce } from '../secret-once.js';
import type { List, WebhookEndpoint } from '../types.js';
import { asApiError, useApi } from '../use-api.js';
import { endpointState, eventTypesText } from '../webhook-format.js';

/** The company's webhook endpoints; an admin also creates one here (its secret shown once). */
export function WebhooksPage({ me }: PageProps) {
  const list = useApi<List<WebhookEndpoint>>('/api/webhooks');
  const endpoints = list.data?.items;
  return (
    <>
      <PageHeader title="Webhooks" />
      {me.role === 'admin' ? <NewEndpoint onCreated={list.reload} /> : null}
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
    </>
  );
}

/** URL, event types (comma-separated; empty: every type) and a description. */
function NewEndpoint({ onCreated }: { onCreated: () => void }) {
  const [draft, setDraft] = useState({ url: '', eventTypes: '', description: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [created, setCreated] = useState<{ url: string; secret: string }>();
  const edit = (name: keyof typeof draft) => (event: Event) =>
    setDraft({ ...draft, [name]: (event.currentTarget as HTMLInputElement).value });

  const submit = (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const types = draft.eventTypes
      .split(',')
      .map((type) => type.trim())
      .filter(Boolean);
    api<WebhookEndpoint & { secret: string }>('/api/webhooks', {
      method: 'POST',
      body: {
        url: draft.url,
        ...(types.length ? { eventTypes: types } : {}),
        ...(draft.description ? { description: draft.description } : {}),
      },
    }).then(
      (endpoint) => {
        setCreated({ url: endpoint.url, secret: endpoint.secret });
        setDraft({ url: '', eventTypes: '', description: '' });
        setBusy(false);
        onCreated();
      },
      (failure: unknown) => {
        setError(asApiError(failure));
        setBusy(false);
      },
    );
  };

  return (
    <section aria-labelledby="new-endpoint-title">
      <h2 id="new-endpoint-title">New endpoint</h2>
      {created ? (
        <SecretOnce secret={created.secret} what={`signing secret of ${created.url}`} />
      ) : null}
      <form class="filters" onSubmit={submit}>
        <div class="field">
          <label for="webhook-url">URL</label>
          <input id="webhook-url" type="url" required value={draft.url} onInput={edit('url')} />
        </div>
        <div class="field">
          <label for="webhook-types">Event types</label>
          <input
            id="webhook-types"
            placeholder="every type; or employee.deactivated, …"
            value={draft.eventTypes}
            onInput={edit('eventTypes')}
          />
        </div>
        <div class="field">
          <label for="webhook-description">Description</label>
          <input id="webhook-description" value={draft.description} onInput={edit('description')} />
        </div>
        <button type="submit" class="button primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create endpoint'}
        </button>
      </form>
      {error ? <ErrorMessage error={error} /> : null}
    </section>
  );
}
