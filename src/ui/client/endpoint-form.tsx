import { useState } from 'preact/hooks';
import { api, type ApiError } from './api.js';
import { ErrorMessage } from './components.js';
import { EVENT_TYPES } from './event-types.js';
import { EVENT_FAMILIES } from './events.js';
import { described, Field, fieldMessage, summary } from './form-fields.js';
import { href } from './router.js';
import type { WebhookEndpoint } from './types.js';
import { asApiError } from './use-api.js';
import { wantsEveryType } from './webhook-format.js';

/** What the API answers to a create: the endpoint, and its signing secret this once. */
export type SavedEndpoint = WebhookEndpoint & { secret?: string };

interface Draft {
  url: string;
  description: string;
  /** Every type, including types added later (the API's `eventTypes` omitted or null). */
  everyType: boolean;
  types: string[];
  enabled: boolean;
}

/** The fields this form shows an error next to; any other problem goes above it. */
const FIELDS = ['url', 'description', 'eventTypes', 'enabled'];

function initialDraft(endpoint: WebhookEndpoint | undefined): Draft {
  const everyType = !endpoint || wantsEveryType(endpoint.eventTypes);
  return {
    url: endpoint?.url ?? '',
    description: endpoint?.description ?? '',
    everyType,
    types: everyType ? [] : endpoint.eventTypes,
    enabled: endpoint?.enabled ?? true,
  };
}

/**
 * Create (no `endpoint`) or edit a webhook endpoint: its URL, description, the event types
 * it wants (chosen from the known types, by family) and, when editing, whether it is enabled.
 */
export function EndpointForm({
  endpoint,
  onSaved,
}: {
  endpoint?: WebhookEndpoint;
  onSaved: (saved: SavedEndpoint) => void;
}) {
  const [draft, setDraft] = useState(() => initialDraft(endpoint));
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const text = (name: 'url' | 'description') => (event: Event) =>
    setDraft({ ...draft, [name]: (event.currentTarget as HTMLInputElement).value });
  const toggleType = (type: string) =>
    setDraft({
      ...draft,
      types: draft.types.includes(type)
        ? draft.types.filter((t) => t !== type)
        : EVENT_TYPES.filter((t) => t === type || draft.types.includes(t)),
    });

  const submit = (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const eventTypes = draft.everyType ? null : draft.types;
    const description = draft.description.trim() || null;
    const saved = endpoint
      ? api<SavedEndpoint>(`/api/webhooks/${endpoint.id}`, {
          method: 'PATCH',
          body: { url: draft.url, description, eventTypes, enabled: draft.enabled },
        })
      : api<SavedEndpoint>('/api/webhooks', {
          method: 'POST',
          body: {
            url: draft.url,
            ...(description ? { description } : {}),
            ...(eventTypes ? { eventTypes } : {}),
          },
        });
    saved.then(
      (result) => {
        setBusy(false);
        if (!endpoint) setDraft(initialDraft(undefined));
        onSaved(result);
      },
      (failure: unknown) => {
        setError(asApiError(failure));
        setBusy(false);
      },
    );
  };

  const typesError = fieldMessage(error, 'eventTypes');
  return (
    <form class="form" onSubmit={submit} novalidate>
      {error ? <ErrorMessage error={summary(error, FIELDS)} /> : null}
      <Field
        id="webhook-url"
        label="URL"
        help="https; the signed events are POSTed here."
        error={fieldMessage(error, 'url')}
      >
        <input
          id="webhook-url"
          type="url"
          required
          autocomplete="off"
          value={draft.url}
          onInput={text('url')}
          {...described('webhook-url', fieldMessage(error, 'url'), true)}
        />
      </Field>
      <Field
        id="webhook-description"
        label="Description (optional)"
        error={fieldMessage(error, 'description')}
      >
        <input
          id="webhook-description"
          value={draft.description}
          onInput={text('description')}
          {...described('webhook-description', fieldMessage(error, 'description'))}
        />
      </Field>
      <fieldset aria-describedby={typesError ? 'webhook-types-error' : undefined}>
        <legend>Event types</legend>
        <div class="choice">
          <input
            type="radio"
            id="webhook-every-type"
            name="webhook-types"
            checked={draft.everyType}
            onChange={() => setDraft({ ...draft, everyType: true })}
          />
          <label for="webhook-every-type">Every type, including types added later</label>
        </div>
        <div class="choice">
          <input
            type="radio"
            id="webhook-some-types"
            name="webhook-types"
            checked={!draft.everyType}
            onChange={() => setDraft({ ...draft, everyType: false })}
          />
          <label for="webhook-some-types">Only the types chosen below</label>
        </div>
        {draft.everyType ? null : (
          <div class="type-families">
            {EVENT_FAMILIES.map((family) => (
              <fieldset key={family.label}>
                <legend>{family.label}</legend>
                {family.types.split(',').map((type) => (
                  <div class="choice" key={type}>
                    <input
                      type="checkbox"
                      id={`webhook-type-${type}`}
                      checked={draft.types.includes(type)}
                      onChange={() => toggleType(type)}
                    />
                    <label for={`webhook-type-${type}`}>{type}</label>
                  </div>
                ))}
              </fieldset>
            ))}
          </div>
        )}
        {typesError ? (
          <p id="webhook-types-error" class="error">
            {typesError}
          </p>
        ) : null}
      </fieldset>
      {endpoint ? (
        <div class="choice field">
          <input
            type="checkbox"
            id="webhook-enabled"
            checked={draft.enabled}
            onChange={() => setDraft({ ...draft, enabled: !draft.enabled })}
          />
          <label for="webhook-enabled">
            Enabled (disabling cancels the deliveries that wait; enabling sends the events from then
            on)
          </label>
        </div>
      ) : null}
      <div class="buttons">
        <button type="submit" class="button primary" disabled={busy}>
          {busy ? 'Saving…' : endpoint ? 'Save changes' : 'Create endpoint'}
        </button>
        {endpoint ? (
          <a class="button secondary" href={href(`/webhooks/${endpoint.id}`)}>
            Cancel
          </a>
        ) : null}
      </div>
    </form>
  );
}
