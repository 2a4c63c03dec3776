import { Module } from '@nestjs/common';
import { DirectoryModule } from '../directory/directory.module.js';
import { SyncService } from './sync.service.js';

@Module({
  imports: [DirectoryModule],
  providers: [SyncService],
  exports: [SyncService],
})
export class SyncModule {}
