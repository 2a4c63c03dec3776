import { StatusBadge, Time } from './components.js';
import { duration } from './format.js';
import { href } from './router.js';
import type { Job, SyncStats } from './types.js';

export const STAT_NAMES = [
  'fetched',
  'created',
  'updated',
  'unchanged',
  'deactivated',
  'skipped',
] as const satisfies (keyof SyncStats)[];

/** "450 fetched · 3 created · 2 deactivated" (zeros left out, except fetched). */
export function statsLine(stats: SyncStats | null): string {
  if (!stats) return '—';
  return STAT_NAMES.filter((name) => name === 'fetched' || stats[name] > 0)
    .map((name) => `${stats[name]} ${name}`)
    .join(' · ');
}

/** Jobs newest first: status, trigger, when, how long, what it did or why it failed. */
export function JobTable({ jobs, caption }: { jobs: Job[]; caption: string }) {
  return (
    <table class="cards">
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Status</th>
          <th scope="col">Trigger</th>
          <th scope="col">Created</th>
          <th scope="col">Duration</th>
          <th scope="col">Attempts</th>
          <th scope="col">Result</th>
        </tr>
      </thead>
      <tbody>
        {jobs.map((job) => (
          <tr key={job.id}>
            <th scope="row" data-label="Status">
              <a href={href(`/jobs/${job.id}`)} aria-label={`Job ${job.status}, open details`}>
                <StatusBadge status={job.status} />
              </a>
            </th>
            <td data-label="Trigger">{job.trigger}</td>
            <td data-label="Created">
              <Time iso={job.createdAt} />
            </td>
            <td data-label="Duration">
              {job.startedAt ? duration(job.startedAt, job.finishedAt) : '—'}
            </td>
            <td data-label="Attempts">
              {job.attempts} / {job.maxAttempts}
            </td>
            <td data-label="Result" class={job.lastError ? 'error-text' : undefined}>
              {job.lastError ?? statsLine(job.stats)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
