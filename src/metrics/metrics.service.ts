import { Injectable } from '@nestjs/common';
import {
  collectDefaultMetrics,
  Counter,
  Histogram,
  Registry,
  type CounterConfiguration,
} from 'prom-client';

/** How a job's attempt ended, as the duration histogram labels it. */
export type JobOutcome = 'succeeded' | 'retry' | 'failed' | 'cancelled' | 'released' | 'lost';
/** Why an attempt failed: a provider's classification, the deprovision guard, or anything else. */
export type ErrorClass = 'transient' | 'auth' | 'config' | 'guard' | 'other';

/**
 * This app instance's Prometheus registry (not prom-client's global one, so several apps in
 * one process — the tests — keep their own counts) and every metric the service exposes.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly jobsFinished = this.counter({
    name: 'directory_sync_jobs_finished_total',
    help: 'Jobs that reached a final state in this process, by status.',
    labelNames: ['status'],
  });
  readonly jobsReaped = this.counter({
    name: 'directory_sync_jobs_reaped_total',
    help: 'RUNNING jobs whose lease ran out (their worker died) reaped by this process.',
  });
  readonly jobDuration = new Histogram({
    name: 'directory_sync_job_duration_seconds',
    help: 'Duration of one job attempt, from claim to settlement, by provider and outcome.',
    labelNames: ['provider', 'outcome'],
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
    registers: [this.registry],
  });
  readonly jobRetries = this.counter({
    name: 'directory_sync_job_retries_total',
    help: 'Failed attempts sent back to PENDING for a retry, by error class.',
    labelNames: ['error_class'],
  });
  readonly jobFailures = this.counter({
    name: 'directory_sync_job_failures_total',
    help: 'Jobs that ended FAILED, by error class.',
    labelNames: ['error_class'],
  });
  readonly employeesUpserted = this.counter({
    name: 'directory_sync_employees_upserted_total',
    help: 'Employees created or updated by successful syncs, by provider.',
    labelNames: ['provider', 'change'],
  });
  readonly employeesDeactivated = this.counter({
    name: 'directory_sync_employees_deactivated_total',
    help: 'Employees deactivated by successful syncs, by provider.',
    labelNames: ['provider'],
  });
  readonly providerRequests = this.counter({
    name: 'directory_sync_provider_requests_total',
    help:
      'HTTP requests to identity providers, by provider endpoint and status ' +
      '(the HTTP status, or "network" / "timeout" when no answer came).',
    labelNames: ['provider', 'status'],
  });
  readonly httpDuration = new Histogram({
    name: 'directory_sync_http_request_duration_seconds',
    help: 'Duration of HTTP requests served, by method, route and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** A finished successful job's stats, into the employee counters. */
  recordStats(
    provider: string,
    stats: { created: number; updated: number; deactivated: number },
  ): void {
    this.employeesUpserted.inc({ provider, change: 'created' }, stats.created);
    this.employeesUpserted.inc({ provider, change: 'updated' }, stats.updated);
    this.employeesDeactivated.inc({ provider }, stats.deactivated);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private counter<T extends string>(config: CounterConfiguration<T>): Counter<T> {
    return new Counter({ ...config, registers: [this.registry] });
  }
}
