import { useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { api, query } from '../api.js';
import {
  ActionButton,
  Empty,
  ErrorMessage,
  Loading,
  OlderNewer,
  PageHeader,
  StatusBadge,
  Time,
  useAction,
  useCursorPages,
} from '../components.js';
import { EndpointForm } from '../endpoint-form.js';
import { href, navigate } from '../router.js';
import { SecretOnce } from '../secret-once.js';
import type { Page, WebhookDelivery, WebhookEndpoint } from '../types.js';
import { useApi, type Loaded } from '../use-api.js';
import { endpointState, eventTypesText } from '../webhook-format.js';

/** Deliveries per page; the page on screen is followed every few seconds while one waits. */
const DELIVERIES_PER_PAGE = 20;
const POLL_MS = 3000;

/** The delivery statuses of the filter, as the API names them, with the words shown. */
const DELIVERY_STATUSES = [
  ['pending', 'Waiting'],
  ['delivered', 'Delivered'],
  ['failed', 'Failed'],
  ['cancelled', 'Cancelled'],
] as const;

/**
 * One endpoint: its settings, an admin's buttons, and its deliveries, newest first, a page at
 * a time along the API's cursor, filtered by status (kept in the URL).
 */
export function WebhookPage({ me, params, query: search }: PageProps) {
  const status = search.get('status') ?? '';
  const pages = useCursorPages();
  const endpoint = useApi<WebhookEndpoint>(`/api/webhooks/${params.id}`);
  const deliveries = useApi<Page<WebhookDelivery>>(
    `/api/webhooks/${params.id}/deliveries${query({
      status,
      limit: DELIVERIES_PER_PAGE,
      cursor: pages.cursor,
    })}`,
    {
      pollMs: POLL_MS,
      keepPolling: (page) => page.items.some((delivery) => delivery.status === 'pending'),
    },
  );
  const e = endpoint.data;
  if (endpoint.error && !e) return <ErrorMessage error={endpoint.error} />;
  if (!e) return <Loading what="the endpoint" />;

  return (
    <>
      <PageHeader title={e.url}>
        {me.role === 'admin' ? (
          <a class="button secondary" href={href(`/webhooks/${e.id}/edit`)}>
            Edit
          </a>
        ) : null}
      </PageHeader>
      <dl class="details">
        <dt>State</dt>
        <dd>
          <StatusBadge status={endpointState(e)} />
          {e.disabledReason ? ` ${e.disabledReason}` : null}
        </dd>
        <dt>Event types</dt>
        <dd>{eventTypesText(e.eventTypes)}</dd>
        <dt>Description</dt>
        <dd>{e.description ?? '—'}</dd>
        <dt>Created</dt>
        <dd>
          <Time iso={e.createdAt} />
        </dd>
        <dt>Last changed</dt>
        <dd>
          <Time iso={e.updatedAt} />
        </dd>
      </dl>
      {me.role === 'admin' ? (
        <EndpointActions endpoint={e} onChanged={endpoint.reload} deliveries={deliveries} />
      ) : null}
      <section aria-labelledby="deliveries-title">
        <h2 id="deliveries-title">Deliveries</h2>
        <StatusFilter endpointId={e.id} status={status} />
        <Deliveries
          endpointId={e.id}
          deliveries={deliveries}
          filtered={status !== ''}
          canResend={me.role === 'admin'}
        />
        <OlderNewer pages={pages} nextCursor={deliveries.data?.nextCursor} noun="deliveries" />
      </section>
    </>
  );
}

function EndpointActions({
  endpoint,
  onChanged,
  deliveries,
}: {
  endpoint: WebhookEndpoint;
  onChanged: () => void;
  deliveries: Loaded<unknown>;
}) {
  const path = `/api/webhooks/${endpoint.id}`;
  const [secret, setSecret] = useState<string>();
  const [confirming, setConfirming] = useState(false);
  const toggle = useAction(async () => {
    await api(path, { method: 'PATCH', body: { enabled: !endpoint.enabled } });
    onChanged();
  });
  const test = useAction(async () => {
    await api(`${path}/test`, { method: 'POST' });
    deliveries.reload();
  });
  const rotate = useAction(async () => {
    setSecret((await api<{ secret: string }>(`${path}/rotate-secret`, { method: 'POST' })).secret);
  });
  const remove = useAction(async () => {
    await api(path, { method: 'DELETE' });
    navigate('/webhooks');
  });
  const error = toggle.error ?? test.error ?? rotate.error ?? remove.error;

  return (
    <div class="connection-actions">
      <div class="buttons">
        <ActionButton action={test} label="Send test event" busyLabel="Sending…" kind="primary" />
        <ActionButton
          action={toggle}
          label={endpoint.enabled ? 'Disable' : 'Enable'}
          busyLabel="Saving…"
        />
        <ActionButton action={rotate} label="Rotate secret" busyLabel="Rotating…" />
        {confirming ? (
          <ActionButton
            action={remove}
            label="Delete for good, with its deliveries"
            busyLabel="Deleting…"
            kind="danger"
          />
        ) : (
          <button type="button" class="button danger" onClick={() => setConfirming(true)}>
            Delete
          </button>
        )}
      </div>
      {secret ? (
        <SecretOnce
          secret={secret}
          what="new signing secret (the previous one still signs for 24 h)"
        />
      ) : null}
      {error ? <ErrorMessage error={error} /> : null}
    </div>
  );
}

/** The status filter: a choice and a button (a choice alone would reload as it is moved). */
function StatusFilter({ endpointId, status }: { endpointId: string; status: string }) {
  const [draft, setDraft] = useState(status);
  return (
    <form
      class="filters"
      role="search"
      aria-label="Deliveries"
      onSubmit={(event) => {
        event.preventDefault();
        navigate(`/webhooks/${endpointId}`, { status: draft });
      }}
    >
      <div class="field">
        <label for="delivery-status">Status</label>
        <select
          id="delivery-status"
          value={draft}
          onChange={(event) => setDraft(event.currentTarget.value)}
        >
          <option value="">All</option>
          {DELIVERY_STATUSES.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" class="button primary">
        Show
      </button>
    </form>
  );
}

function Deliveries({
  endpointId,
  deliveries,
  filtered,
  canResend,
}: {
  endpointId: string;
  deliveries: Loaded<Page<WebhookDelivery>>;
  filtered: boolean;
  canResend: boolean;
}) {
  const items = deliveries.data?.items;
  return (
    <>
      {deliveries.error ? <ErrorMessage error={deliveries.error} /> : null}
      {!items && !deliveries.error ? <Loading what="deliveries" /> : null}
      {items?.length === 0 ? (
        <Empty>
          {filtered
            ? 'No deliveries with this status.'
            : 'Nothing sent yet: events of its types are sent as they happen.'}
        </Empty>
      ) : null}
      {items?.length ? (
        <table class="cards">
          <caption class="visually-hidden">The endpoint’s deliveries, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Response</th>
              <th scope="col">Duration</th>
              <th scope="col">Error</th>
              <th scope="col">Next retry</th>
              {canResend ? <th scope="col">Resend</th> : null}
            </tr>
          </thead>
          <tbody>
            {items.map((delivery) => (
              <tr key={delivery.id}>
                <th scope="row" data-label="Event">
                  {delivery.eventType} <Time iso={delivery.createdAt} />
                </th>
                <td data-label="Status">
                  <StatusBadge status={delivery.status.toUpperCase()} />
                </td>
                <td data-label="Attempts">{delivery.attempts}</td>
                <td data-label="Response">{delivery.responseStatus ?? '—'}</td>
                <td data-label="Duration">
                  {delivery.durationMs === null ? '—' : `${delivery.durationMs} ms`}
                </td>
                <td data-label="Error">{delivery.error ?? '—'}</td>
                <td data-label="Next retry">
                  <Time iso={delivery.nextAttemptAt} />
                </td>
                {canResend ? (
                  <td data-label="Resend">
                    {delivery.status === 'pending' ? (
                      '—'
                    ) : (
                      <Resend
                        path={`/api/webhooks/${endpointId}/deliveries/${delivery.id}/retry`}
                        onSent={deliveries.reload}
                      />
                    )}
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

function Resend({ path, onSent }: { path: string; onSent: () => void }) {
  const resend = useAction(async () => {
    await api(path, { method: 'POST' });
    onSent();
  });
  return (
    <>
      <ActionButton action={resend} label="Resend" busyLabel="Sending…" />
      {resend.error ? <ErrorMessage error={resend.error} /> : null}
    </>
  );
}

/** `/webhooks/:id/edit`: an admin changes the endpoint's URL, event types and state. */
export function WebhookEditPage({ me, params }: PageProps) {
  const endpoint = useApi<WebhookEndpoint>(`/api/webhooks/${params.id}`);
  if (me.role !== 'admin') {
    return (
      <ErrorMessage error="Your API key is read-only: only an admin key can change endpoints." />
    );
  }
  if (endpoint.error) return <ErrorMessage error={endpoint.error} />;
  if (!endpoint.data) return <Loading what="the endpoint" />;
  return (
    <>
      <PageHeader title={`Edit ${endpoint.data.url}`} />
      <EndpointForm
        endpoint={endpoint.data}
        onSaved={(saved) => navigate(`/webhooks/${saved.id}`)}
      />
    </>
  );
}
