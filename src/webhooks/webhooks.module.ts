import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/config.schema.js';
import { DirectoryModule } from '../directory/directory.module.js';
import { EventsModule } from '../events/events.module.js';
import { QueueModule } from '../queue/queue.module.js';
import { WebhookClock } from './webhook-clock.js';
import { WebhookDeliveries } from './webhook-deliveries.js';
import { WebhookDeliveryHandler } from './webhook-delivery.handler.js';
import { WebhookFanout } from './webhook-fanout.js';
import { WebhookSender } from './webhook-sender.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';

/** Webhook endpoints (the API), the fan-out of events into deliveries, and the `webhook` kind. */
@Module({
  imports: [DirectoryModule, EventsModule, QueueModule],
  controllers: [WebhooksController],
  providers: [
    WebhooksService,
    WebhookDeliveries,
    WebhookFanout,
    WebhookDeliveryHandler,
    WebhookClock,
    {
      provide: WebhookSender,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) =>
        new WebhookSender({
          allowPrivateNetworks: config.get('directoryAllowPrivateNetworks', { infer: true }),
          timeoutMs: config.get('webhookTimeoutMs', { infer: true }),
          connectionsPerEndpoint: config.get('webhookEndpointConcurrency', { infer: true }),
        }),
    },
  ],
})
export class WebhooksModule {}
