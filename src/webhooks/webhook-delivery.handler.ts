import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EntityManager } from 'typeorm';
import type { AppConfig } from '../config/config.schema.js';
import { ConfigCrypto } from '../directory/config-crypto.js';
import type { Job } from '../queue/job.js';
import {
  JobCancelled,
  type FailureVerdict,
  type JobHandler,
  type JobRun,
  type KindSettings,
} from '../queue/job-handler.js';
import { JobRegistry } from '../queue/job-registry.js';
import { WebhookClock } from './webhook-clock.js';
import { WebhookFanout } from './webhook-fanout.js';
import {
  type AttemptRecord,
  type DeliveryTarget,
  WebhookDeliveries,
} from './webhook-deliveries.js';
import { WebhookSender } from './webhook-sender.js';
import { signedHeaders } from './webhook-signature.js';
import { WebhooksService } from './webhooks.service.js';

export const WEBHOOK_KIND = 'webhook';

export interface WebhookJobPayload {
  deliveryId: string;
}

/** A successful attempt. */
export interface WebhookJobResult {
  responseStatus: number;
  durationMs: number;
}

type WebhookJob = Job<WebhookJobPayload, WebhookJobResult>;

/** An endpoint that has failed every attempt for this long is disabled. */
export const DISABLE_AFTER_MS = 5 * 24 * 60 * 60_000;

/** The longest a Retry-After may hold a delivery back: an endpoint cannot park it for ever. */
const MAX_RETRY_AFTER_MS = 24 * 60 * 60_000;

/** Retry waits are spread by up to this fraction, so deliveries that failed together part. */
const JITTER = 0.1;

/** A failed attempt, as `verdict` reads it. */
class DeliveryFailed extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** What this process saw of an attempt that ended, until its settlement records it. */
interface AttemptSeen {
  responseStatus: number | null;
  durationMs: number | null;
  /** 410 Gone: the endpoint is disabled with the attempt's settlement. */
  gone: boolean;
}

/**
 * The `webhook` kind: a job sends one delivery (one event to one endpoint). At most
 * WEBHOOK_ENDPOINT_CONCURRENCY jobs of one endpoint run at once, across processes (the
 * endpoint is the job's concurrency key); a failed attempt retries on WEBHOOK_RETRY_SCHEDULE
 * with jitter (or later, when the endpoint's Retry-After says so); the attempts are recorded
 * on the delivery in the transaction that settles each one (docs/webhooks.md).
 */
@Injectable()
export class WebhookDeliveryHandler
  implements JobHandler<WebhookJobPayload, WebhookJobResult>, OnModuleInit
{
  readonly kind = WEBHOOK_KIND;
  readonly settings: KindSettings;
  /** The attempts that ended in this process and are not settled yet, by job id. */
  private readonly seen = new Map<string, AttemptSeen>();

  constructor(
    private readonly registry: JobRegistry,
    private readonly deliveries: WebhookDeliveries,
    private readonly webhooks: WebhooksService,
    private readonly sender: WebhookSender,
    private readonly fanout: WebhookFanout,
    private readonly clock: WebhookClock,
    @Inject(ConfigCrypto) private readonly crypto: ConfigCrypto,
    config: ConfigService<AppConfig, true>,
  ) {
    const schedule = config.get('webhookRetrySchedule', { infer: true });
    this.settings = {
      concurrency: config.get('webhookConcurrency', { infer: true }),
      perKey: config.get('webhookEndpointConcurrency', { infer: true }),
      // The timeout bounds an attempt; the heartbeats keep the lease while it runs.
      leaseMs: config.get('webhookTimeoutMs', { infer: true }) + 30_000,
      backoffMs: (attempts) => retryDelayMs(schedule, attempts),
    };
  }

  onModuleInit(): void {
    this.registry.register(this);
  }

  /** New events become deliveries (woken by the event log's NOTIFY, or the poll tick). */
  async feed(): Promise<void> {
    await this.fanout.run();
  }

  logContext(job: WebhookJob): Record<string, string | undefined> {
    return { deliveryId: job.payload.deliveryId, webhookId: job.concurrencyKey ?? undefined };
  }

  async run(job: WebhookJob, run: JobRun): Promise<WebhookJobResult> {
    const target = await this.deliveries.load(job.payload.deliveryId);
    if (!target) throw new JobCancelled('the webhook endpoint was deleted');
    if (!target.enabled) throw new JobCancelled('the webhook endpoint is disabled');
    if (target.status === 'cancelled') throw new JobCancelled('the delivery was cancelled');
    if (target.type === null) {
      throw new DeliveryFailed('the event is no longer kept (EVENT_RETENTION_DAYS)', false);
    }
    const body = deliveryBody(target);
    const headers = signedHeaders(this.secrets(target), target.event_id, new Date(), body);
    const outcome = await this.sender.post(
      target.endpoint_id,
      target.url,
      { ...headers },
      body,
      run.signal,
    );
    const answered = outcome.kind === 'answered';
    const status = answered ? outcome.status : null;
    this.seen.set(job.id, {
      responseStatus: status,
      durationMs: outcome.durationMs,
      gone: status === 410,
    });
    if (outcome.kind === 'refused') throw new DeliveryFailed(outcome.error, false);
    if (outcome.kind === 'unreachable') throw new DeliveryFailed(outcome.error, true);
    if (outcome.status >= 200 && outcome.status < 300) {
      return { responseStatus: outcome.status, durationMs: outcome.durationMs };
    }
    if (outcome.status === 410) {
      throw new DeliveryFailed('the endpoint answered 410 Gone: it is disabled', false);
    }
    const retryAfterMs =
      outcome.retryAfterMs === undefined
        ? undefined
        : Math.min(outcome.retryAfterMs, MAX_RETRY_AFTER_MS);
    throw new DeliveryFailed(`the endpoint answered ${outcome.status}`, true, retryAfterMs);
  }

  verdict(error: unknown): FailureVerdict {
    if (error instanceof DeliveryFailed) {
      return {
        message: error.message,
        retryable: error.retryable,
        retryAfterMs: error.retryAfterMs,
        errorClass: error.retryable ? 'transient' : 'config',
      };
    }
    // The database went away, or a bug: the schedule retries it.
    return { message: String(error), retryable: true, errorClass: 'other' };
  }

  /**
   * Every ended attempt, on its delivery, in the transaction of the job's transition; then
   * the endpoints that answered 410, or have failed everything for DISABLE_AFTER_MS, are
   * disabled in the same transaction (with their `webhook.disabled` events).
   */
  async settled(tx: EntityManager, jobs: WebhookJob[]): Promise<void> {
    const attempts: AttemptRecord[] = [];
    const gone = new Set<string>();
    for (const job of jobs) {
      const seen = this.seen.get(job.id);
      this.seen.delete(job.id);
      if (seen?.gone && job.concurrencyKey) gone.add(job.concurrencyKey);
      attempts.push({
        deliveryId: job.payload.deliveryId,
        status:
          job.status === 'SUCCEEDED' ? 'delivered' : job.status === 'FAILED' ? 'failed' : 'pending',
        responseStatus: seen?.responseStatus ?? null,
        durationMs: seen?.durationMs ?? null,
        error: job.status === 'SUCCEEDED' ? null : (job.lastError ?? 'failed'),
        nextAttemptAt: job.status === 'PENDING' ? job.runAfter : null,
      });
    }
    const exhausted = await this.deliveries.record(
      tx,
      attempts,
      this.clock.now(),
      DISABLE_AFTER_MS,
    );
    if (gone.size) await this.webhooks.disable(tx, [...gone], 'the endpoint answered 410 Gone');
    const failing = exhausted.filter((id) => !gone.has(id));
    if (failing.length) {
      await this.webhooks.disable(tx, failing, 'every delivery failed for 5 days');
    }
  }

  /** The secrets that sign: the current one, and a rotated-out one while it still may. */
  private secrets(target: DeliveryTarget): string[] {
    const blobs = [target.secret_encrypted, target.previous_secret_encrypted];
    return blobs
      .filter((blob): blob is Buffer => blob !== null)
      .map((blob) => this.crypto.decrypt(blob, target.endpoint_id).secret as string);
  }
}

/**
 * The wait after `attempts` failed ones: the schedule's entry (seconds) plus up to 10 %
 * jitter. A job has one attempt more than the schedule has entries, so the last entry is
 * the wait before the last attempt.
 */
export function retryDelayMs(
  schedule: readonly number[],
  attempts: number,
  random: () => number = Math.random,
): number {
  const seconds = schedule[Math.min(Math.max(attempts, 1), schedule.length) - 1];
  return Math.round(seconds * 1000 * (1 + JITTER * random()));
}

/**
 * `{id, type, timestamp, data}`: the event, with `timestamp` its occurredAt. The data is
 * spliced in as the database stores it, not parsed and printed again.
 */
function deliveryBody(target: DeliveryTarget): string {
  const head = JSON.stringify({
    id: target.event_id,
    type: target.type,
    timestamp: target.occurred_at?.toISOString(),
  });
  return `${head.slice(0, -1)},"data":${target.data}}`;
}
