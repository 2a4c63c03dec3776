import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { SchedulerModule } from '../scheduler/scheduler.module.js';
import { HealthController } from './health.controller.js';
import { ReadinessService } from './readiness.service.js';

@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' }), SchedulerModule],
  controllers: [HealthController],
  providers: [ReadinessService],
  exports: [ReadinessService],
})
export class HealthModule {}
