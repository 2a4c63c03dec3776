import type { PageProps } from '../app.js';
import { FinishedChart } from '../chart.js';
import { Empty, ErrorMessage, Loading, PageHeader, Time } from '../components.js';
import { href } from '../router.js';
import type { QueueStats } from '../types.js';
import { useApi } from '../use-api.js';

const POLL_MS = 5000;

/** "45 s", "3 min", "2 h 5 min": how long the oldest due job has waited. */
export function waited(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * The company's share of the job queue (every kind: syncs, webhook deliveries, …), from
 * GET /api/queue/stats, refreshed every few seconds while the page is open.
 */
export function QueuePage(_: PageProps) {
  const stats = useApi<QueueStats>('/api/queue/stats', {
    pollMs: POLL_MS,
    keepPolling: () => true,
  });
  const s = stats.data;

  return (
    <>
      <PageHeader title="Queue">
        {s ? (
          <span class="muted">
            updated <Time iso={s.at} />
          </span>
        ) : null}
      </PageHeader>
      {stats.error ? <ErrorMessage error={stats.error} /> : null}
      {!s && !stats.error ? <Loading what="the queue" /> : null}
      {s ? (
        <>
          <section aria-labelledby="depth-title">
            <h2 id="depth-title">Waiting and running</h2>
            {s.kinds.length === 0 ? (
              <Empty>Nothing is waiting or running.</Empty>
            ) : (
              <table class="cards depth">
                <caption class="visually-hidden">Jobs waiting and running, by kind</caption>
                <thead>
                  <tr>
                    <th scope="col">Kind</th>
                    <th scope="col">Waiting</th>
                    <th scope="col">Due now</th>
                    <th scope="col">Running</th>
                  </tr>
                </thead>
                <tbody>
                  {s.kinds.map((k) => (
                    <tr key={k.kind}>
                      <th scope="row" data-label="Kind">
                        {k.kind}
                      </th>
                      <td data-label="Waiting">{k.pending}</td>
                      <td data-label="Due now">{k.due}</td>
                      <td data-label="Running">{k.running}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <p class="oldest">
              {s.oldestDue ? (
                <>
                  Oldest due job:{' '}
                  {s.oldestDue.kind === 'sync' ? (
                    <a href={href(`/jobs/${s.oldestDue.jobId}`)}>a sync job</a>
                  ) : (
                    <>
                      a <code>{s.oldestDue.kind}</code> job
                    </>
                  )}
                  , due for <strong>{waited(s.oldestDue.ageSeconds)}</strong>.
                </>
              ) : (
                'No job is waiting past its time.'
              )}
            </p>
          </section>
          <section aria-labelledby="hour-title">
            <h2 id="hour-title">The last hour</h2>
            <FinishedChart minutes={s.lastHour} />
          </section>
        </>
      ) : null}
    </>
  );
}
