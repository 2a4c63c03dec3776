import { Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../config/config.schema.js';
import { ConfigCrypto } from './config-crypto.js';
import { DirectoryConnection } from './directory-connection.entity.js';
import { DirectoryController } from './directory.controller.js';
import { DirectoryService } from './directory.service.js';
import { resolveEncryptionKey } from './encryption-key.js';

@Module({
  imports: [TypeOrmModule.forFeature([DirectoryConnection])],
  controllers: [DirectoryController],
  providers: [
    DirectoryService,
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
  exports: [DirectoryService, ConfigCrypto],
})
export class DirectoryModule {}
