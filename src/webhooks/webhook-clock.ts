import { Injectable } from '@nestjs/common';

/**
 * The time the webhook rules reckon with (how long an endpoint has been failing), injectable
 * so that a test can move it days ahead instead of waiting.
 */
@Injectable()
export class WebhookClock {
  now(): Date {
    return new Date();
  }
}
