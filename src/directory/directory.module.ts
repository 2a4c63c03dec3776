import { Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../config/config.schema.js';
import { ConfigCrypto } from './config-crypto.js';
import { DirectoryConnection } from './directory-connection.entity.js';
import { DirectoryController } from './directory.controller.js';
import { DirectoryService } from './directory.service.js';
import { SyncJobsModule } from '../sync-jobs/sync-jobs.module.js';
import { EventsModule } from '../events/events.module.js';
import { resolveEncryptionKey } from './encryption-key.js';
import { OktaProvider } from './providers/okta.provider.js';
import { EntraIdProvider } from './providers/entra-id.provider.js';
import { GoogleWorkspaceProvider } from './providers/google-workspace.provider.js';
import { AwsIdentityCenterProvider } from './providers/aws-identity-center.provider.js';
import { LdapProvider } from './providers/ldap.provider.js';
import { ProviderHttpClient } from './providers/provider-http-client.js';
import { ProviderRegistry } from './providers/provider-registry.js';
import { MetricsService } from '../metrics/metrics.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([DirectoryConnection]), SyncJobsModule, EventsModule],
  controllers: [DirectoryController],
  providers: [
    DirectoryService,
    {
      provide: ProviderHttpClient,
      inject: [ConfigService, MetricsService],
      useFactory: (config: ConfigService<AppConfig, true>, metrics: MetricsService) =>
        new ProviderHttpClient({
          onResult: (provider, status) => metrics.providerRequests.inc({ provider, status }),
          allowPrivateNetworks: config.get('directoryAllowPrivateNetworks', { infer: true }),
          timeoutMs: config.get('providerTimeoutMs', { infer: true }),
          retryBaseMs: config.get('providerRetryBaseMs', { infer: true }),
          maxRetries: config.get('providerMaxRetries', { infer: true }),
          maxRateLimitWaitMs: config.get('providerRateLimitMaxWaitMs', { infer: true }),
        }),
    },
    {
      provide: ProviderRegistry,
      inject: [ProviderHttpClient, ConfigService],
      useFactory: (http: ProviderHttpClient, config: ConfigService<AppConfig, true>) =>
        new ProviderRegistry([
          new OktaProvider(http, config.get('providerRateLimitMaxWaitMs', { infer: true })),
          new EntraIdProvider(http),
          new GoogleWorkspaceProvider(http),
          new AwsIdentityCenterProvider(AwsIdentityCenterProvider.optionsFrom(config)),
          new LdapProvider({
            allowPrivateNetworks: config.get('directoryAllowPrivateNetworks', { infer: true }),
            timeoutMs: config.get('providerTimeoutMs', { infer: true }),
          }),
        ]),
    },
    {
      provide: ConfigCrypto,
      inject: [ConfigService],
      useFactory: async (config: ConfigService<AppConfig, true>) => {
        const key = await resolveEncryptionKey(
          {
            encryptionKey: config.get('encryptionKey', { infer: true }),
            dataDir: config.get('dataDir', { infer: true }),
          },
          (message) => new Logger('Encryption').log(message),
        );
        return new ConfigCrypto(key, config.get('encryptionKeyPrevious', { infer: true }));
      },
    },
  ],
  exports: [DirectoryService, ConfigCrypto, ProviderRegistry],
})
export class DirectoryModule {}
