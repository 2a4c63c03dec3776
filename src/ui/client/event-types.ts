/**
 * The event types of GET /api/events, as the README lists them. The server's list
 * (src/events/event-types.ts) cannot be bundled (it reaches decorated server classes for its
 * payload types); test/ui.e2e-spec.ts checks this copy against it.
 */
export const EVENT_TYPES = [
  'employee.created',
  'employee.updated',
  'employee.deactivated',
  'employee.reactivated',
  'group.created',
  'group.updated',
  'group.deleted',
  'group.member_added',
  'group.member_removed',
  'connection.created',
  'connection.updated',
  'connection.deleted',
  'connection.sync_succeeded',
  'connection.sync_failed',
  'api_key.created',
  'api_key.revoked',
  'webhook.test',
  'webhook.disabled',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
