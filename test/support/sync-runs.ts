import type { QueueWorker } from '../../src/scheduler/queue-worker.service.js';
import { bearer, type TestApp, type TestCompany } from './test-app.js';

/** A sync job as GET /api/sync-jobs/:id shows it. */
export interface JobView {
  status: string;
  lastError: string | null;
  stats: Record<string, unknown> | null;
  preview: { deactivated: { email: string }[]; blockedBy: string | null } | null;
}

/**
 * Runs a connection's sync the way an admin does, POST /api/directory/:id/sync with `body`,
 * lets the worker finish it, and answers the job.
 */
export async function runSync(
  t: TestApp,
  worker: QueueWorker,
  company: TestCompany,
  connectionId: string,
  body: object = {},
): Promise<JobView> {
  const res = await t
    .http()
    .post(`/api/directory/${connectionId}/sync`)
    .set(bearer(company.adminKey))
    .send(body)
    .expect(202);
  await worker.drain();
  const jobId = (res.body as { jobId: string }).jobId;
  const job = await t
    .http()
    .get(`/api/sync-jobs/${jobId}`)
    .set(bearer(company.adminKey))
    .expect(200);
  return job.body as JobView;
}

/** The emails of a connection's active people, sorted. */
export async function activeEmails(t: TestApp, connectionId: string): Promise<string[]> {
  const rows = await t.db.query<{ email: string }>(
    `SELECT email FROM employee WHERE source_connection_id = $1 AND active ORDER BY email`,
    [connectionId],
  );
  return rows.map((r) => r.email);
}
