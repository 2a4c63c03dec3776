import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck } from '@nestjs/terminus';
import type { Response } from 'express';
import { Public } from '../auth/decorators.js';
import { ReadinessService } from './readiness.service.js';

@ApiTags('operations')
@Controller('health')
@Public()
export class HealthController {
  constructor(private readonly readiness: ReadinessService) {}

  /** The process is up and serving HTTP (a liveness probe: no dependency is checked). */
  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up' })
  @ApiOkResponse({
    schema: { type: 'object', properties: { status: { type: 'string', example: 'ok' } } },
  })
  live() {
    return { status: 'ok' };
  }

  /** 200 when ready; 503 with terminus's body naming the failing check. */
  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: database reachable; in worker processes, the claim loop alive',
    description: '503 when a check fails; `error` names it (`database`, `worker`).',
  })
  async ready(@Res({ passthrough: true }) res: Response) {
    const { ready, body } = await this.readiness.check();
    if (!ready) res.status(503);
    return body;
  }
}
