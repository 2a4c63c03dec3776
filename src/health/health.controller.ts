import { Controller, Get } from '@nestjs/common';
import { Public } from '../auth/decorators.js';

@Controller('health')
@Public()
export class HealthController {
  /** The process is up and serving HTTP. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }
}
