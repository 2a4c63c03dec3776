import type { ConnectionType } from '../../src/directory/connection-types.js';
import type { ChangeFeed } from '../../src/directory/providers/directory-provider.js';
import { ProviderRegistry } from '../../src/directory/providers/provider-registry.js';
import type { TestApp } from './test-app.js';

/**
 * Hides a provider's change feed in this app, so that every run of its connections is a full
 * cycle: for the specs about what a full cycle does (reading the whole directory, deactivating
 * whom it no longer lists). Incremental cycles have specs of their own (sync-incremental,
 * sync-okta-incremental, and each provider's feed spec).
 */
export function fullCyclesOnly(t: TestApp, type: ConnectionType): void {
  (t.app.get(ProviderRegistry).get(type) as { feed?: ChangeFeed }).feed = undefined;
}
