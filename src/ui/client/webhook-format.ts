import { EVENT_TYPES } from './event-types.js';
import type { WebhookEndpoint } from './types.js';

/** An endpoint of every type lists every type known today: say "every type" instead. */
export const eventTypesText = (types: string[]): string =>
  types.length === EVENT_TYPES.length ? 'every type' : types.join(', ');

export const endpointState = (endpoint: WebhookEndpoint): string =>
  endpoint.enabled ? 'ENABLED' : 'DISABLED';
