import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { query } from '../api.js';
import { ConnectionActions } from '../connection-actions.js';
import { CONFIG_FIELDS, readField } from '../connection-forms.js';
import {
  Empty,
  ErrorMessage,
  Loading,
  OlderNewer,
  PageHeader,
  StatusBadge,
  Time,
  useCursorPages,
} from '../components.js';
import { isActiveJob, TYPE_LABELS } from '../format.js';
import { JobTable } from '../job-table.js';
import { href } from '../router.js';
import type { Connection, Job, Page } from '../types.js';
import { useApi } from '../use-api.js';
import { NextRun } from './connections.js';

const JOBS_PER_PAGE = 20;
const POLL_MS = 1000;

/** One connection: its settings (secrets masked), buttons, and its job history. */
export function ConnectionPage({ me, params }: PageProps) {
  const connection = useApi<Connection>(`/api/directory/${params.id}`);
  const c = connection.data;
  if (connection.error && !c) return <ErrorMessage error={connection.error} />;
  if (!c) return <Loading what="the connection" />;

  const admin = me.role === 'admin';
  return (
    <>
      <PageHeader title={c.name}>
        <a class="button secondary" href={href('/events', { connectionId: c.id })}>
          Events
        </a>
        {admin ? (
          <a class="button secondary" href={href(`/connections/${c.id}/edit`)}>
            Edit
          </a>
        ) : null}
      </PageHeader>
      {admin ? <ConnectionActions connection={c} /> : null}
      <dl class="details">
        <dt>Type</dt>
        <dd>{TYPE_LABELS[c.type]}</dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={c.status} />
        </dd>
        <dt>Last sync</dt>
        <dd>
          <Time iso={c.lastSyncAt} empty="never" />
          {c.lastSyncCount !== null ? ` · ${c.lastSyncCount} users` : ''}
        </dd>
        <dt>Next run</dt>
        <dd>
          <NextRun connection={c} />
        </dd>
        <dt>Sync interval</dt>
        <dd>{c.syncIntervalMinutes ? `every ${c.syncIntervalMinutes} minutes` : 'manual only'}</dd>
        <dt>Attempts per job</dt>
        <dd>{c.maxAttempts}</dd>
        <dt>Deprovision guard</dt>
        <dd>at most {c.deprovisionThresholdPercent} % deactivated per sync</dd>
        <dt>Full sync</dt>
        <dd>at least every {c.fullSyncIntervalHours} hours</dd>
        <dt>Last error</dt>
        <dd class={c.lastError ? 'error-text' : 'muted'}>{c.lastError ?? '—'}</dd>
        {c.scimBaseUrl ? (
          <>
            <dt>SCIM base URL</dt>
            <dd>
              <code>{new URL(c.scimBaseUrl, window.location.origin).href}</code>
            </dd>
          </>
        ) : null}
        {CONFIG_FIELDS[c.type].map((field) => {
          const value = readField(c.config, field.key);
          if (value === undefined) return null;
          return (
            <Fragment key={field.key}>
              <dt>{field.label}</dt>
              <dd>{field.secret ? 'set (hidden)' : <code>{value}</code>}</dd>
            </Fragment>
          );
        })}
      </dl>
      <JobHistory connectionId={c.id} onJobsSettled={connection.reload} />
    </>
  );
}

/**
 * The connection's jobs, newest first, with counts of what is on screen; reloaded every
 * second while one of them waits or runs, so a job's progress shows without a reload.
 */
function JobHistory({
  connectionId,
  onJobsSettled,
}: {
  connectionId: string;
  onJobsSettled: () => void;
}) {
  const pages = useCursorPages();
  const [wasActive, setWasActive] = useState(false);
  const jobs = useApi<Page<Job>>(
    `/api/sync-jobs${query({ connectionId, limit: JOBS_PER_PAGE, cursor: pages.cursor })}`,
    { pollMs: POLL_MS, keepPolling: (page) => page.items.some(isActiveJob) },
  );
  const items = jobs.data?.items;
  const active = !!items?.some(isActiveJob);
  if (active !== wasActive) {
    setWasActive(active);
    // A job just finished: the connection's status and last sync changed too.
    if (!active) onJobsSettled();
  }

  return (
    <section aria-labelledby="jobs-title">
      <h2 id="jobs-title">Jobs</h2>
      {jobs.error ? <ErrorMessage error={jobs.error} /> : null}
      {!items && !jobs.error ? <Loading what="jobs" /> : null}
      {items && items.length === 0 ? <Empty>No jobs yet.</Empty> : null}
      {items && items.length > 0 ? (
        <>
          <JobCounts jobs={items} />
          <JobTable jobs={items} caption="Jobs of this connection, newest first" />
        </>
      ) : null}
      <OlderNewer pages={pages} nextCursor={jobs.data?.nextCursor} noun="jobs" />
    </section>
  );
}

function JobCounts({ jobs }: { jobs: Job[] }) {
  const count = (status: Job['status']) => jobs.filter((job) => job.status === status).length;
  const finished = jobs.filter((job) => !isActiveJob(job) && job.status !== 'CANCELLED');
  const succeeded = count('SUCCEEDED');
  return (
    <p class="summary">
      {jobs.length === 1 ? 'This job' : `These ${jobs.length} jobs`}: {succeeded} succeeded,{' '}
      {count('FAILED')} failed, {count('CANCELLED')} cancelled, {count('RUNNING')} running,{' '}
      {count('PENDING')} waiting
      {finished.length ? ` · ${Math.round((100 * succeeded) / finished.length)} % success` : ''}.
    </p>
  );
}
