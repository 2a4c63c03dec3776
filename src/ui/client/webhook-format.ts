import { EVENT_TYPES } from './event-types.js';
import type { WebhookEndpoint } from './types.js';

/**
 * The API lists every type known today for an endpoint that wants every type (its stored
 * choice is "all, including types added later"): a list as long as the known types is that.
 */
export const wantsEveryType = (types: string[]): boolean => types.length === EVENT_TYPES.length;

export const eventTypesText = (types: string[]): string =>
  wantsEveryType(types) ? 'every type' : types.join(', ');

export const endpointState = (endpoint: WebhookEndpoint): string =>
  endpoint.enabled ? 'ENABLED' : 'DISABLED';
