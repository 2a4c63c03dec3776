import 'reflect-metadata';
import { createWorker } from '../src/app.factory.js';
import { loadConfigOrExit } from '../src/config/load-config.js';
import { JobRegistry } from '../src/queue/job-registry.js';
import { QueueWorker } from '../src/scheduler/queue-worker.service.js';

/**
 * A worker process of bench:queue: the service's worker (its kinds, its loop, its queue) plus
 * the `noop` kind, which exists only here and does nothing, so what is measured is the queue
 * itself: claims, completions, wake-ups. NOOP_CONCURRENCY jobs at once (default 100).
 */
const config = { ...loadConfigOrExit(), role: 'worker' as const };
const app = await createWorker(config, config.databaseUrl!);
app.get(JobRegistry).register({
  kind: 'noop',
  settings: {
    concurrency: Number(process.env.NOOP_CONCURRENCY ?? 100),
    leaseMs: 60_000,
    backoffMs: () => 1000,
  },
  run: () => Promise.resolve(null),
  verdict: (error) => ({ message: String(error), retryable: false, errorClass: 'other' }),
});
// Jobs enqueued before the kind was registered are claimed now.
app.get(QueueWorker).kick();
process.stdout.write('noop worker ready\n');
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
