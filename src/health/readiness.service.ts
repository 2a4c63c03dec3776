import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheckService,
  type HealthIndicatorFunction,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { QueueWorker } from '../scheduler/queue-worker.service.js';

/** How long the database has to answer `SELECT 1` before readiness fails. */
export const DATABASE_TIMEOUT_MS = 2000;

/**
 * Readiness, for the HTTP route and for a worker's ops port: the database answers within
 * 2 s and, in a process that runs the worker loop (ROLE all or worker), the claim loop
 * ticked recently. The body is terminus's: `error` names the failing check.
 */
@Injectable()
export class ReadinessService {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly worker: QueueWorker,
  ) {}

  async check(): Promise<{ ready: boolean; body: object }> {
    const checks: HealthIndicatorFunction[] = [
      () => this.database.pingCheck('database').withTimeout(DATABASE_TIMEOUT_MS),
    ];
    if (this.worker.runsLoop) checks.push(() => this.workerLoop());
    try {
      return { ready: true, body: await this.health.check(checks) };
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      return { ready: false, body: error.getResponse() as object };
    }
  }

  private workerLoop() {
    const status = this.worker.loopStatus();
    const check = this.indicators.check('worker');
    const data = { lastTickAt: status.lastTickAt, staleAfterMs: status.staleAfterMs };
    return status.alive
      ? check.up(data)
      : check.down({ ...data, message: 'the claim loop has not ticked recently' });
  }
}
