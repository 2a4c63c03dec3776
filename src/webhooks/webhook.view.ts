import { EVENT_TYPES, type WebhookEndpointView } from '../events/event-types.js';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'cancelled';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = [
  'pending',
  'delivered',
  'failed',
  'cancelled',
];

/** The columns of an endpoint that its view shows (never a secret). */
export const ENDPOINT_COLUMNS = `id, company_id, url, event_types, enabled, description,
  disabled_reason, created_at, updated_at`;

export interface EndpointRow {
  id: string;
  company_id: string;
  url: string;
  /** NULL: every type. */
  event_types: string[] | null;
  enabled: boolean;
  description: string | null;
  disabled_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

/** An endpoint as the API shows it: an endpoint of every type lists every type known today. */
export function toEndpointView(row: EndpointRow): WebhookEndpointView {
  return {
    id: row.id,
    url: row.url,
    eventTypes: row.event_types ?? [...EVENT_TYPES],
    enabled: row.enabled,
    description: row.description,
    disabledReason: row.disabled_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export const DELIVERY_COLUMNS = `id, event_id, event_type, status, attempts, response_status,
  duration_ms, error, next_attempt_at, delivered_at, created_at, updated_at`;

export interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  response_status: number | null;
  duration_ms: number | null;
  error: string | null;
  next_attempt_at: Date | null;
  delivered_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** A delivery and its last attempt, as GET /api/webhooks/:id/deliveries lists it. */
export function toDeliveryView(row: DeliveryRow) {
  return {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    responseStatus: row.response_status,
    durationMs: row.duration_ms,
    error: row.error,
    nextAttemptAt: row.next_attempt_at,
    deliveredAt: row.delivered_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
