import { useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { api, query } from '../api.js';
import {
  ActionButton,
  Empty,
  ErrorMessage,
  Loading,
  PageHeader,
  StatusBadge,
  Time,
  useAction,
} from '../components.js';
import { navigate } from '../router.js';
import { SecretOnce } from '../secret-once.js';
import type { List, WebhookDelivery, WebhookEndpoint } from '../types.js';
import { useApi, type Loaded } from '../use-api.js';
import { endpointState, eventTypesText } from '../webhook-format.js';

/** The newest deliveries shown; the page follows them every few seconds while any waits. */
const DELIVERIES_SHOWN = 50;
const POLL_MS = 3000;

/** One endpoint: its settings, an admin's buttons, and its newest deliveries. */
export function WebhookPage({ me, params }: PageProps) {
  const endpoint = useApi<WebhookEndpoint>(`/api/webhooks/${params.id}`);
  const deliveries = useApi<List<WebhookDelivery>>(
    `/api/webhooks/${params.id}/deliveries${query({ limit: DELIVERIES_SHOWN })}`,
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
      <PageHeader title={e.url} />
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
        <Deliveries endpointId={e.id} deliveries={deliveries} canResend={me.role === 'admin'} />
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

function Deliveries({
  endpointId,
  deliveries,
  canResend,
}: {
  endpointId: string;
  deliveries: Loaded<List<WebhookDelivery>>;
  canResend: boolean;
}) {
  const items = deliveries.data?.items;
  return (
    <>
      {deliveries.error ? <ErrorMessage error={deliveries.error} /> : null}
      {!items && !deliveries.error ? <Loading what="deliveries" /> : null}
      {items?.length === 0 ? (
        <Empty>Nothing sent yet: events of its types are sent as they happen.</Empty>
      ) : null}
      {items?.length ? (
        <table class="cards">
          <caption class="visually-hidden">
            The endpoint’s {DELIVERIES_SHOWN} newest deliveries, newest first
          </caption>
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
