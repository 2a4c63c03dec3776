import type { PageProps } from '../app.js';
import { api } from '../api.js';
import {
  ActionButton,
  ErrorMessage,
  Loading,
  PageHeader,
  StatusBadge,
  Time,
  useAction,
} from '../components.js';
import { duration, isActiveJob, STAT_NAMES } from '../format.js';
import { href, navigate } from '../router.js';
import type { Connection, EnqueuedJob, Job } from '../types.js';
import { useApi } from '../use-api.js';

const POLL_MS = 1000;

/** One job, followed live (polled every second) while it waits or runs. */
export function JobPage({ me, params }: PageProps) {
  const loaded = useApi<Job>(`/api/sync-jobs/${params.id}`, {
    pollMs: POLL_MS,
    keepPolling: isActiveJob,
  });
  const retry = useAction(async () => {
    const next = await api<EnqueuedJob>(`/api/sync-jobs/${params.id}/retry`, { method: 'POST' });
    navigate(`/jobs/${next.jobId}`);
  });
  const cancel = useAction(async () => {
    await api<Job>(`/api/sync-jobs/${params.id}/cancel`, { method: 'POST' });
    loaded.reload();
  });

  const job = loaded.data;
  const connection = useApi<Connection>(
    job?.connectionId ? `/api/directory/${job.connectionId}` : null,
  );
  if (loaded.error && !job) return <ErrorMessage error={loaded.error} />;
  if (!job) return <Loading what="the job" />;
  const admin = me.role === 'admin';
  const canRetry = job.status === 'FAILED' || job.status === 'CANCELLED';
  const canCancel = isActiveJob(job) && !job.cancelRequested;

  return (
    <>
      <PageHeader title="Sync job">
        {admin && canRetry ? (
          <ActionButton action={retry} label="Retry" busyLabel="Retrying…" kind="primary" />
        ) : null}
        {admin && canCancel ? (
          <ActionButton action={cancel} label="Cancel" busyLabel="Cancelling…" kind="danger" />
        ) : null}
      </PageHeader>
      {retry.error ? <ErrorMessage error={retry.error} /> : null}
      {cancel.error ? <ErrorMessage error={cancel.error} /> : null}
      {loaded.error ? <ErrorMessage error={loaded.error} /> : null}
      <p class="job-status" aria-live="polite">
        Status: <StatusBadge status={job.status} />
        {job.cancelRequested && isActiveJob(job) ? ' (cancellation requested)' : ''}
        {job.status === 'PENDING' && job.attempts > 0 ? ' (waiting to retry)' : ''}
      </p>
      <dl class="details">
        <dt>Connection</dt>
        <dd>
          {job.connectionId ? (
            <a href={href(`/connections/${job.connectionId}`)}>
              {connection.data?.name ?? 'open the connection'}
            </a>
          ) : (
            <span class="muted">deleted</span>
          )}
        </dd>
        <dt>Trigger</dt>
        <dd>{job.trigger}</dd>
        <dt>Attempts</dt>
        <dd>
          {job.attempts} of {job.maxAttempts}
        </dd>
        <dt>Created</dt>
        <dd>
          <Time iso={job.createdAt} />
        </dd>
        {job.status === 'PENDING' ? (
          <>
            <dt>Runs</dt>
            <dd>
              <Time iso={job.runAfter} />
            </dd>
          </>
        ) : null}
        <dt>Started</dt>
        <dd>
          <Time iso={job.startedAt} empty="not yet" />
        </dd>
        <dt>Finished</dt>
        <dd>
          <Time iso={job.finishedAt} empty="not yet" />
        </dd>
        <dt>Duration</dt>
        <dd>{job.startedAt ? duration(job.startedAt, job.finishedAt) : '—'}</dd>
        {job.allowMassDeprovision ? (
          <>
            <dt>Mass deprovisioning</dt>
            <dd>allowed for this run</dd>
          </>
        ) : null}
        {job.stats?.mode ? (
          <>
            <dt>Cycle</dt>
            <dd>
              {job.stats.mode} <span class="muted">({job.stats.modeReason})</span>
            </dd>
          </>
        ) : null}
        <dt>Error</dt>
        <dd class={job.lastError ? 'error-text' : 'muted'}>{job.lastError ?? '—'}</dd>
      </dl>
      {job.stats ? (
        <section aria-labelledby="stats-title">
          <h2 id="stats-title">What it did</h2>
          <dl class="stats">
            {STAT_NAMES.map((name) => (
              <div key={name}>
                <dt>{name}</dt>
                <dd>{job.stats![name]}</dd>
              </div>
            ))}
          </dl>
        </section>
      ) : null}
    </>
  );
}
