import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ErrorMessage } from '../components.js';
import type { Me } from '../types.js';
import { asApiError } from '../use-api.js';

/** Signing in is asking the API who the key is: a wrong or revoked key gets its 401 here. */
export function SignIn({
  onSignedIn,
  notice,
}: {
  onSignedIn: (key: string, me: Me) => void;
  notice?: string;
}) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = (event: Event) => {
    event.preventDefault();
    const typed = key.trim();
    if (!typed) return setError('Paste an API key of your company.');
    setBusy(true);
    setError(undefined);
    api<Me>('/api/me', { key: typed }).then(
      (me) => onSignedIn(typed, me),
      (failure: unknown) => {
        const problem = asApiError(failure);
        setError(
          problem.status === 401
            ? 'This API key is not valid: it may be mistyped, or it was revoked.'
            : problem.message,
        );
        setBusy(false);
      },
    );
  };

  return (
    <main id="main" class="sign-in">
      <h1>directory-sync</h1>
      <p>
        Sign in with one of your company’s API keys (<code>dsk_…</code>). An admin key can change
        things; a viewer key sees everything read-only.
      </p>
      {notice ? <ErrorMessage error={notice} /> : null}
      <form onSubmit={submit} novalidate>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={key}
          onInput={(event) => setKey(event.currentTarget.value)}
          aria-describedby={error ? 'sign-in-error' : undefined}
          aria-invalid={error ? true : undefined}
        />
        {error ? (
          <p id="sign-in-error" class="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" class="button primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p class="muted">
        The key stays in this browser tab (session storage) and is sent only to this service. No key
        yet? <code>npm run cli -- company:create --name Acme</code> prints one.
      </p>
    </main>
  );
}
