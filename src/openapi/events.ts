import type { ReferenceObject, SchemaObject } from '@nestjs/swagger';
import { EMPLOYEE_FIELDS, EVENT_TYPES, type EventType } from '../events/event-types.js';
import { SYNC_STATS_SCHEMA } from './schemas.js';

/**
 * The events API in the OpenAPI document: one schema per event type (`type` tells them
 * apart), each with its `data`. Where `data` is what another route answers (an employee, a
 * group, a connection, an API key) it is that route's schema; the rest are written here.
 */

const ref = (name: string): ReferenceObject => ({ $ref: `#/components/schemas/${name}` });
const string = { type: 'string' } as const;
const uuid = { type: 'string', format: 'uuid' } as const;
const date = { type: 'string', format: 'date-time' } as const;
const closed = (properties: Record<string, SchemaObject | ReferenceObject>): SchemaObject => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
});

export const EVENT_PAGE_REF = '#/components/schemas/EventPage';

/** What each type carries, and when it is written. */
const EVENTS: Record<EventType, { data: string; description: string }> = {
  'employee.created': { data: 'EmployeeSchema', description: 'A person joined the roster' },
  'employee.updated': {
    data: 'EmployeeUpdatedEventData',
    description: 'A person changed; `changedFields` names what changed',
  },
  'employee.deactivated': {
    data: 'EmployeeSchema',
    description: 'A person left (deprovisioned): revoke their access',
  },
  'employee.reactivated': { data: 'EmployeeSchema', description: 'A person came back' },
  'group.created': { data: 'GroupSchema', description: 'A group appeared' },
  'group.updated': {
    data: 'GroupSchema',
    description: 'A group changed its name or description (memberships: member events)',
  },
  'group.deleted': {
    data: 'GroupSchema',
    description: 'A group is gone with its memberships (its last state; no member events)',
  },
  'group.member_added': { data: 'EventMembership', description: 'A person joined a group' },
  'group.member_removed': { data: 'EventMembership', description: 'A person left a group' },
  'connection.created': { data: 'ConnectionSchema', description: 'A connection was created' },
  'connection.updated': { data: 'ConnectionSchema', description: 'A connection was changed' },
  'connection.deleted': {
    data: 'ConnectionSchema',
    description: 'A connection was deleted (its last state)',
  },
  'connection.sync_succeeded': {
    data: 'EventSyncSucceeded',
    description: "A connection's sync job succeeded, with its stats",
  },
  'connection.sync_failed': {
    data: 'EventSyncFailed',
    description: "A connection's sync job failed for good, with its error",
  },
  'api_key.created': { data: 'ApiKeySchema', description: 'An API key was created' },
  'api_key.revoked': { data: 'ApiKeyRevokedEventData', description: 'An API key was revoked' },
  'webhook.test': { data: 'EventWebhookTest', description: 'Sent on request to test a webhook' },
  'webhook.disabled': {
    data: 'EventWebhookEndpoint',
    description: 'A webhook endpoint was disabled (410 Gone, 5 days of failures, or an admin)',
  },
};

/** `employee.created` -> `EmployeeCreatedEvent` */
function schemaName(type: EventType): string {
  const words = type.split(/[._]/).map((word) => word[0].toUpperCase() + word.slice(1));
  return `${words.join('')}Event`;
}

/**
 * Adds the event schemas to the document's components. Extends the schemas of the employee
 * and API key routes, which must be in the document already.
 */
export function addEventSchemas(schemas: Record<string, SchemaObject | ReferenceObject>): void {
  const extend = (name: string, extra: Record<string, SchemaObject>): SchemaObject => {
    const base = schemas[name] as SchemaObject | undefined;
    if (!base?.properties) throw new Error(`the OpenAPI document has no ${name}`);
    return {
      ...base,
      properties: { ...base.properties, ...extra },
      required: [...(base.required ?? []), ...Object.keys(extra)],
    };
  };
  Object.assign(schemas, {
    EmployeeUpdatedEventData: extend('EmployeeSchema', {
      changedFields: { type: 'array', items: { type: 'string', enum: [...EMPLOYEE_FIELDS] } },
    }),
    ApiKeyRevokedEventData: extend('ApiKeySchema', { revokedAt: date }),
    EventMembership: closed({ group: ref('GroupSchema'), employee: ref('EmployeeSchema') }),
    EventSyncSucceeded: closed({
      jobId: { ...uuid, nullable: true, description: 'null: a run outside the job queue' },
      stats: SYNC_STATS_SCHEMA,
    }),
    EventSyncFailed: closed({
      jobId: { ...uuid, nullable: true, description: 'null: a run outside the job queue' },
      error: string,
    }),
    EventWebhookTest: closed({ webhookId: uuid }),
    EventWebhookEndpoint: closed({
      id: uuid,
      url: string,
      eventTypes: { type: 'array', items: { type: 'string', enum: [...EVENT_TYPES] } },
      enabled: { type: 'boolean' },
      description: { ...string, nullable: true },
      disabledReason: { ...string, nullable: true },
      createdAt: date,
      updatedAt: date,
    }),
    ...Object.fromEntries(
      EVENT_TYPES.map((type) => [
        schemaName(type),
        {
          ...closed({
            id: { ...uuid, description: 'The same in every delivery of this event' },
            type: { type: 'string', enum: [type] },
            companyId: uuid,
            connectionId: {
              ...uuid,
              nullable: true,
              description: 'The connection the change came from or concerns',
            },
            occurredAt: date,
            data: ref(EVENTS[type].data),
          }),
          description: EVENTS[type].description,
        },
      ]),
    ),
    EventPage: closed({
      items: {
        type: 'array',
        description: 'Oldest first',
        items: {
          oneOf: EVENT_TYPES.map((type) => ref(schemaName(type))),
          discriminator: {
            propertyName: 'type',
            mapping: Object.fromEntries(
              EVENT_TYPES.map((type) => [type, ref(schemaName(type)).$ref]),
            ),
          },
        },
      },
      nextCursor: {
        ...string,
        description: 'Pass as `after` next time; never null (unchanged when nothing is new)',
      },
    }),
  });
}
