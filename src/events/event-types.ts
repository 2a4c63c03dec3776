import type { ApiKeyView } from '../auth/api-key-view.js';
import type { ConnectionView } from '../directory/connection-view.js';
import type { EmployeeView } from '../employees/employees.service.js';
import type { GroupView } from '../groups/groups.service.js';
import type { SyncStats } from '../sync-jobs/sync-job.types.js';

/**
 * Every event type and the `data` it carries: the whole object after the change (for a
 * deletion, its last state). Dates are ISO 8601 strings once stored.
 */

/**
 * The employee fields `employee.updated` may name in `changedFields` (API names). `active`
 * is not one: its change is `employee.deactivated` or `employee.reactivated`.
 */
export const EMPLOYEE_FIELDS = [
  'email',
  'firstName',
  'lastName',
  'department',
  'title',
  'mfaEnabled',
  'connectionId',
  'externalId',
] as const;
export type EmployeeField = (typeof EMPLOYEE_FIELDS)[number];

/** A webhook endpoint as `GET /api/webhooks/:id` shows it (never its secret). */
export interface WebhookEndpointView {
  id: string;
  url: string;
  eventTypes: string[];
  enabled: boolean;
  description: string | null;
  disabledReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface EventPayloads {
  'employee.created': EmployeeView;
  'employee.updated': EmployeeView & { changedFields: EmployeeField[] };
  'employee.deactivated': EmployeeView;
  'employee.reactivated': EmployeeView;
  'group.created': GroupView;
  'group.updated': GroupView;
  'group.deleted': GroupView;
  'group.member_added': { group: GroupView; employee: EmployeeView };
  'group.member_removed': { group: GroupView; employee: EmployeeView };
  'connection.created': ConnectionView;
  'connection.updated': ConnectionView;
  'connection.deleted': ConnectionView;
  /** `jobId` is null for a sync run outside the job queue (the CLI, benchmarks). */
  'connection.sync_succeeded': { jobId: string | null; stats: SyncStats };
  'connection.sync_failed': { jobId: string | null; error: string };
  'api_key.created': ApiKeyView;
  'api_key.revoked': ApiKeyView & { revokedAt: Date };
  'webhook.test': { webhookId: string };
  'webhook.disabled': WebhookEndpointView;
}

export type EventType = keyof EventPayloads;

/** Every type once (the compiler checks none is missing), in the order the README lists them. */
const EVERY_TYPE: { [T in EventType]: null } = {
  'employee.created': null,
  'employee.updated': null,
  'employee.deactivated': null,
  'employee.reactivated': null,
  'group.created': null,
  'group.updated': null,
  'group.deleted': null,
  'group.member_added': null,
  'group.member_removed': null,
  'connection.created': null,
  'connection.updated': null,
  'connection.deleted': null,
  'connection.sync_succeeded': null,
  'connection.sync_failed': null,
  'api_key.created': null,
  'api_key.revoked': null,
  'webhook.test': null,
  'webhook.disabled': null,
};
export const EVENT_TYPES = Object.keys(EVERY_TYPE) as readonly EventType[];

export function isEventType(value: string): value is EventType {
  return Object.hasOwn(EVERY_TYPE, value);
}

/** An event to append: the type decides the shape of `data`. */
export type NewEvent = {
  [T in EventType]: {
    companyId: string;
    /** The connection the change came from or concerns; null for company-wide changes. */
    connectionId: string | null;
    type: T;
    data: EventPayloads[T];
  };
}[EventType];

/** An event as readers see it (`data` as stored: dates are strings). */
export interface EventView {
  id: string;
  type: EventType;
  companyId: string;
  connectionId: string | null;
  occurredAt: Date;
  data: Record<string, unknown>;
}
