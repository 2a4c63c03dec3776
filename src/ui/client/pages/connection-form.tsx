import { useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { api, type ApiError } from '../api.js';
import { ErrorMessage, Loading, PageHeader } from '../components.js';
import { described, Field, fieldMessage, summary } from '../form-fields.js';
import { buildConfig, CONFIG_FIELDS, readField, type ConfigField } from '../connection-forms.js';
import { TYPE_LABELS } from '../format.js';
import { href, navigate } from '../router.js';
import type { Connection, ConnectionType } from '../types.js';
import { asApiError, useApi } from '../use-api.js';

const TYPES = Object.keys(TYPE_LABELS) as ConnectionType[];

/** Create (`/connections/new`) or edit (`/connections/:id/edit`) a connection. Admins only. */
export function ConnectionFormPage({ me, params }: PageProps) {
  const existing = useApi<Connection>(params.id ? `/api/directory/${params.id}` : null);
  if (me.role !== 'admin') {
    return (
      <ErrorMessage error="Your API key is read-only: only an admin key can change connections." />
    );
  }
  if (!params.id) return <ConnectionForm />;
  if (existing.error) return <ErrorMessage error={existing.error} />;
  if (!existing.data) return <Loading what="the connection" />;
  return <ConnectionForm connection={existing.data} />;
}

interface Settings {
  name: string;
  type: ConnectionType;
  syncIntervalMinutes: string;
  maxAttempts: string;
  deprovisionThresholdPercent: string;
  fullSyncIntervalHours: string;
}

function initialValues(connection: Connection | undefined): Record<string, string> {
  if (!connection) return {};
  const values: Record<string, string> = {};
  for (const field of CONFIG_FIELDS[connection.type]) {
    const value = readField(connection.config, field.key);
    // Secrets are never put in the form: the API only has the mask to give anyway.
    if (!field.secret && value !== undefined) values[field.key] = value;
  }
  return values;
}

function ConnectionForm({ connection }: { connection?: Connection }) {
  const mode = connection ? 'edit' : 'create';
  const [settings, setSettings] = useState<Settings>({
    name: connection?.name ?? '',
    type: connection?.type ?? 'okta',
    syncIntervalMinutes: connection?.syncIntervalMinutes?.toString() ?? '',
    maxAttempts: connection?.maxAttempts.toString() ?? '',
    deprovisionThresholdPercent: connection?.deprovisionThresholdPercent.toString() ?? '',
    fullSyncIntervalHours: connection?.fullSyncIntervalHours.toString() ?? '',
  });
  const [values, setValues] = useState(() => initialValues(connection));
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const [scimToken, setScimToken] = useState<{ id: string; token: string }>();
  const fields = CONFIG_FIELDS[settings.type];

  const shownFields = [
    'name',
    'type',
    'syncIntervalMinutes',
    'maxAttempts',
    'deprovisionThresholdPercent',
    'fullSyncIntervalHours',
    ...fields.map((field) => `config.${field.key}`),
  ];
  const fieldError = (name: string) => fieldMessage(error, name);
  const set = (name: keyof Settings) => (event: Event) =>
    setSettings({ ...settings, [name]: (event.currentTarget as HTMLInputElement).value });
  const number = (name: keyof Settings) => ({
    value: settings[name],
    error: fieldError(name),
    onInput: set(name),
  });

  const submit = (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const body: Record<string, unknown> = {
      name: settings.name,
      syncIntervalMinutes: settings.syncIntervalMinutes
        ? Number(settings.syncIntervalMinutes)
        : null,
      config: buildConfig(fields, values, mode),
    };
    if (settings.maxAttempts) body.maxAttempts = Number(settings.maxAttempts);
    if (settings.deprovisionThresholdPercent) {
      body.deprovisionThresholdPercent = Number(settings.deprovisionThresholdPercent);
    }
    if (settings.fullSyncIntervalHours) {
      body.fullSyncIntervalHours = Number(settings.fullSyncIntervalHours);
    }
    const saved = connection
      ? api<Connection>(`/api/directory/${connection.id}`, { method: 'PATCH', body })
      : api<Connection>('/api/directory', {
          method: 'POST',
          body: { ...body, type: settings.type },
        });
    saved.then(
      (result) => {
        // A scim connection's push token exists in this answer only: show it before leaving.
        if (result.scimToken) setScimToken({ id: result.id, token: result.scimToken });
        else navigate(`/connections/${result.id}`);
      },
      (failure: unknown) => {
        setError(asApiError(failure));
        setBusy(false);
      },
    );
  };

  if (scimToken) {
    return (
      <>
        <PageHeader title="SCIM token" />
        <p>
          Give this bearer token to your identity provider now. It is shown this once; a lost token
          can be replaced from the API.
        </p>
        <p>
          <code class="secret-once">{scimToken.token}</code>
        </p>
        <a class="button primary" href={href(`/connections/${scimToken.id}`)}>
          Open the connection
        </a>
      </>
    );
  }

  return (
    <>
      <PageHeader title={connection ? `Edit ${connection.name}` : 'New connection'} />
      <form class="form" onSubmit={submit} novalidate>
        {error ? <ErrorMessage error={summary(error, shownFields)} /> : null}
        <Field id="name" label="Name" error={fieldError('name')}>
          <input
            id="name"
            required
            value={settings.name}
            onInput={set('name')}
            {...described('name', fieldError('name'))}
          />
        </Field>
        <Field id="type" label="Type" error={fieldError('type')}>
          <select id="type" value={settings.type} onChange={set('type')} disabled={!!connection}>
            {TYPES.map((type) => (
              <option key={type} value={type}>
                {TYPE_LABELS[type]}
              </option>
            ))}
          </select>
        </Field>
        <NumberField
          id="syncIntervalMinutes"
          label="Sync every (minutes)"
          help="Empty: no periodic sync, only when someone presses Sync now. At least 5."
          min={5}
          {...number('syncIntervalMinutes')}
        />
        <NumberField
          id="maxAttempts"
          label="Attempts per job (1–10)"
          min={1}
          max={10}
          placeholder="service default"
          {...number('maxAttempts')}
        />
        <NumberField
          id="deprovisionThresholdPercent"
          label="Deprovision guard (%)"
          help="A sync that would deactivate more than this share of people stops instead."
          min={0}
          max={100}
          placeholder="20"
          {...number('deprovisionThresholdPercent')}
        />
        <NumberField
          id="fullSyncIntervalHours"
          label="Full sync every (hours, 1–8760)"
          help="Entra ID, Okta and LDAP read only what changed between full syncs."
          min={1}
          max={8760}
          placeholder="24"
          {...number('fullSyncIntervalHours')}
        />
        {fields.length ? (
          <fieldset>
            <legend>{TYPE_LABELS[settings.type]} settings</legend>
            {fields.map((field) => (
              <ConfigInput
                key={`${settings.type}.${field.key}`}
                field={field}
                editing={!!connection}
                value={values[field.key] ?? ''}
                error={fieldError(`config.${field.key}`)}
                onInput={(value) => setValues({ ...values, [field.key]: value })}
              />
            ))}
          </fieldset>
        ) : (
          <p class="muted">
            A SCIM connection has no settings: your identity provider pushes to it with the bearer
            token shown once it is created.
          </p>
        )}
        <div class="buttons">
          <button type="submit" class="button primary" disabled={busy}>
            {busy ? 'Saving…' : connection ? 'Save changes' : 'Create connection'}
          </button>
          <a
            class="button secondary"
            href={href(connection ? `/connections/${connection.id}` : '/connections')}
          >
            Cancel
          </a>
        </div>
      </form>
    </>
  );
}

function NumberField({
  id,
  label,
  help,
  error,
  ...input
}: {
  id: string;
  label: string;
  help?: string;
  error?: string;
  value: string;
  min: number;
  max?: number;
  placeholder?: string;
  onInput: (event: Event) => void;
}) {
  return (
    <Field id={id} label={label} help={help} error={error}>
      <input
        id={id}
        type="number"
        inputMode="numeric"
        {...input}
        {...described(id, error, !!help)}
      />
    </Field>
  );
}

function ConfigInput({
  field,
  editing,
  value,
  error,
  onInput,
}: {
  field: ConfigField;
  editing: boolean;
  value: string;
  error?: string;
  onInput: (value: string) => void;
}) {
  const id = `config-${field.key.replace('.', '-')}`;
  const help = field.secret && editing ? 'Stored and hidden. Leave empty to keep it.' : field.help;
  const common = {
    id,
    name: field.key,
    value,
    placeholder: field.placeholder,
    required: field.required && !(field.secret && editing),
    autocomplete: 'off',
    spellcheck: false,
    onInput: (event: Event) => onInput((event.currentTarget as HTMLInputElement).value),
    ...described(id, error, !!help),
  };
  const label = `${field.label}${field.required ? '' : ' (optional)'}`;
  return (
    <Field id={id} label={label} help={help} error={error}>
      {field.boolean ? (
        <select {...common} onChange={common.onInput}>
          <option value="">Default ({field.placeholder})</option>
          <option value="true">Yes</option>
          <option value="false">No</option>
        </select>
      ) : field.multiline ? (
        <textarea rows={4} {...common} />
      ) : field.secret ? (
        <input type="password" {...common} />
      ) : (
        <input type="text" {...common} />
      )}
    </Field>
  );
}
