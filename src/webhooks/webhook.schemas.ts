import { ApiProperty } from '@nestjs/swagger';
import { EVENT_TYPES } from '../events/event-types.js';
import { DELIVERY_STATUSES } from './webhook.view.js';

/** The OpenAPI shapes of the webhooks API (the services return plain objects). */

const DATE = { type: String, format: 'date-time' } as const;
const UUID = { type: String, format: 'uuid' } as const;
const INTEGER = { type: 'integer' } as const;

export class WebhookSchema {
  @ApiProperty(UUID) id!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ type: 'array', items: { type: 'string', enum: [...EVENT_TYPES] } })
  eventTypes!: string[];
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Why the endpoint was disabled (an admin, 410 Gone, 5 days of failures)',
  })
  disabledReason!: string | null;
  @ApiProperty(DATE) createdAt!: string;
  @ApiProperty(DATE) updatedAt!: string;
}

export class CreatedWebhookSchema extends WebhookSchema {
  @ApiProperty({
    description: 'The signing secret: shown this once',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  secret!: string;
}

export class WebhookListSchema {
  @ApiProperty({ type: [WebhookSchema] }) items!: WebhookSchema[];
}

export class WebhookSecretSchema {
  @ApiProperty({
    description: 'The new signing secret: shown this once; the previous one signs too for 24 h',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  secret!: string;
}

export class WebhookTestSchema {
  @ApiProperty({ ...UUID, description: 'The `webhook.test` event' }) eventId!: string;
  @ApiProperty({ ...UUID, description: 'Its delivery to this endpoint' }) deliveryId!: string;
}

export class WebhookDeliverySchema {
  @ApiProperty(UUID) id!: string;
  @ApiProperty(UUID) eventId!: string;
  @ApiProperty({ enum: [...EVENT_TYPES] }) eventType!: string;
  @ApiProperty({ enum: DELIVERY_STATUSES }) status!: string;
  @ApiProperty({ ...INTEGER, description: 'Attempts made so far' }) attempts!: number;
  @ApiProperty({ ...INTEGER, nullable: true, description: "The last attempt's HTTP status" })
  responseStatus!: number | null;
  @ApiProperty({ ...INTEGER, nullable: true, description: "The last attempt's duration" })
  durationMs!: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why the last attempt failed' })
  error!: string | null;
  @ApiProperty({ ...DATE, nullable: true, description: 'When the next attempt is due' })
  nextAttemptAt!: string | null;
  @ApiProperty({ ...DATE, nullable: true }) deliveredAt!: string | null;
  @ApiProperty(DATE) createdAt!: string;
  @ApiProperty(DATE) updatedAt!: string;
}

export class WebhookDeliveryPageSchema {
  @ApiProperty({ type: [WebhookDeliverySchema] }) items!: WebhookDeliverySchema[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass back as `cursor`' })
  nextCursor!: string | null;
}
