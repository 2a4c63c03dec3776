/**
 * The API's answers as JSON (times are ISO strings), as documented in the README and at
 * /docs: what any client of the API sees. Types of the server that are plain (no decorators,
 * no server-only imports) are shared instead of restated.
 */
import type { ConnectionType } from '../../directory/connection-types.js';
import type { SyncStats } from '../../sync/sync-stats.js';
import type { EventType } from './event-types.js';

export type { ConnectionType, EventType, SyncStats };
export type Role = 'admin' | 'viewer';

export interface Me {
  companyId: string;
  companyName: string;
  keyId: string;
  keyName: string;
  role: Role;
}

export interface Connection {
  id: string;
  name: string;
  type: ConnectionType;
  status: 'PENDING' | 'ACTIVE' | 'ERROR';
  config: Record<string, unknown>;
  syncIntervalMinutes: number | null;
  maxAttempts: number;
  deprovisionThresholdPercent: number;
  fullSyncIntervalHours: number;
  lastSyncAt: string | null;
  lastSyncCount: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  /** When the scheduler next starts a sync; null without an interval. */
  nextSyncAt: string | null;
  scimBaseUrl?: string;
  /** scim connections, in the answer to their creation only. */
  scimToken?: string;
}

export type JobStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface Job {
  id: string;
  connectionId: string | null;
  status: JobStatus;
  trigger: 'manual' | 'schedule' | 'retry';
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  runAfter: string;
  startedAt: string | null;
  finishedAt: string | null;
  cancelRequested: boolean;
  allowMassDeprovision: boolean;
  stats: SyncStats | null;
  createdAt: string;
  updatedAt: string;
}

export interface EnqueuedJob {
  jobId: string;
  status: JobStatus;
  deduplicated: boolean;
}

export interface Employee {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  department: string | null;
  title: string | null;
  active: boolean;
  mfaEnabled: boolean | null;
  connectionId: string | null;
  externalId: string | null;
  createdAt: string;
  updatedAt: string;
  deactivatedAt: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface List<T> {
  items: T[];
}

export interface ConnectionTest {
  ok: boolean;
  userCount?: number;
  error?: string;
}

/** GET /api/queue/stats: the company's jobs of every kind. */
export interface QueueStats {
  at: string;
  kinds: { kind: string; pending: number; due: number; running: number }[];
  oldestDue: { jobId: string; kind: string; runAfter: string; ageSeconds: number } | null;
  lastHour: FinishedInMinute[];
}

export interface FinishedInMinute {
  start: string;
  succeeded: number;
  failed: number;
  cancelled: number;
}

/** An event of GET /api/events; `data` is the object after the change (see the README). */
export interface DirectoryEvent {
  id: string;
  type: EventType;
  companyId: string;
  connectionId: string | null;
  occurredAt: string;
  data: Record<string, unknown>;
}

/** GET /api/events: `nextCursor` is never null (with nothing new, where the reader was). */
export interface EventPage {
  items: DirectoryEvent[];
  nextCursor: string;
}

/** GET /api/employees/:id: a person with the groups they are a member of. */
export interface EmployeeDetail extends Employee {
  groups: { id: string; name: string }[];
}

/** GET /api/groups (items) and GET /api/groups/:id: a group from any source. */
export interface Group {
  id: string;
  connectionId: string;
  externalId: string;
  name: string;
  description: string | null;
  memberCount: number;
  createdAt: string;
  updatedAt: string;
}

/** GET /api/webhooks (items), GET/PATCH /api/webhooks/:id: never a secret. */
export interface WebhookEndpoint {
  id: string;
  url: string;
  eventTypes: string[];
  enabled: boolean;
  description: string | null;
  disabledReason: string | null;
  createdAt: string;
  updatedAt: string;
}

/** GET /api/webhooks/:id/deliveries (items): a delivery and its last attempt. */
export interface WebhookDelivery {
  id: string;
  eventId: string;
  eventType: string;
  status: 'pending' | 'delivered' | 'failed' | 'cancelled';
  attempts: number;
  responseStatus: number | null;
  durationMs: number | null;
  error: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
  updatedAt: string;
}
