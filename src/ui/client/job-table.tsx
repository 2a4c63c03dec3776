import { StatusBadge, Time } from './components.js';
import { duration, statsLine } from './format.js';
import { href } from './router.js';
import type { Job } from './types.js';

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
