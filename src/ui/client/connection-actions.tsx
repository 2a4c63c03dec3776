import { useState } from 'preact/hooks';
import { api } from './api.js';
import { ActionButton, ErrorMessage, useAction } from './components.js';
import { navigate } from './router.js';
import type { Connection, ConnectionTest, EnqueuedJob } from './types.js';

/**
 * "Sync now" (then the job's page, which follows it live) and "Test connection" (its answer
 * in words beside the buttons). scim connections are pushed to: nothing to pull or test.
 */
export function ConnectionActions({ connection }: { connection: Connection }) {
  const [test, setTest] = useState<ConnectionTest>();
  const sync = useAction(async () => {
    const job = await api<EnqueuedJob>(`/api/directory/${connection.id}/sync`, {
      method: 'POST',
      body: {},
    });
    navigate(`/jobs/${job.jobId}`);
  });
  const check = useAction(async () => {
    setTest(undefined);
    setTest(await api<ConnectionTest>(`/api/directory/${connection.id}/test`, { method: 'POST' }));
  });
  if (connection.type === 'scim') return null;

  return (
    <div class="connection-actions">
      <div class="buttons">
        <ActionButton action={sync} label="Sync now" busyLabel="Starting…" kind="primary" />
        <ActionButton action={check} label="Test connection" busyLabel="Testing…" />
      </div>
      <div aria-live="polite">
        {test?.ok ? (
          <p class="ok" role="status">
            Connection works: the first page had {test.userCount ?? 0} users.
          </p>
        ) : null}
        {test && !test.ok ? (
          <ErrorMessage error={`Connection failed: ${test.error ?? ''}`} />
        ) : null}
      </div>
      {sync.error ? <ErrorMessage error={sync.error} /> : null}
      {check.error ? <ErrorMessage error={check.error} /> : null}
    </div>
  );
}
