import type { ProviderConfig } from './connection-config.js';
import type { ConnectionType } from './connection-types.js';
import type { ConnectionStatus } from './directory-connection.entity.js';

/** A connection as the API shows it (and as its events carry it). */
export interface ConnectionView {
  id: string;
  name: string;
  type: ConnectionType;
  status: ConnectionStatus;
  /** Secrets are always masked. */
  config: ProviderConfig;
  syncIntervalMinutes: number | null;
  maxAttempts: number;
  deprovisionThresholdPercent: number;
  fullSyncIntervalHours: number;
  lastSyncAt: Date | null;
  lastSyncCount: number | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** scim connections: where the identity provider pushes to. */
  scimBaseUrl?: string;
}
