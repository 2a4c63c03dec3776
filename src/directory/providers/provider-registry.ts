import type { ConnectionType } from '../connection-types.js';
import { ProviderError, type DirectoryProvider } from './directory-provider.js';

/** The pull providers by connection type. Adding one: its file, and a line where this is built. */
export class ProviderRegistry {
  private readonly byType: Map<ConnectionType, DirectoryProvider>;

  constructor(providers: DirectoryProvider[]) {
    this.byType = new Map(providers.map((provider) => [provider.type, provider]));
  }

  get(type: ConnectionType): DirectoryProvider {
    const provider = this.byType.get(type);
    if (provider) return provider;
    if (type === 'scim') {
      throw new ProviderError(
        'config',
        'scim connections are pushed to by the IdP; there is nothing to pull',
      );
    }
    throw new ProviderError('config', `pulling from ${type} directories is not available yet`);
  }
}
