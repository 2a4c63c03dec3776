import { Controller, Get, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  type SchemaObject,
} from '@nestjs/swagger';
import { HealthCheck } from '@nestjs/terminus';
import type { Response } from 'express';
import { Public } from '../auth/decorators.js';
import { ReadinessService } from './readiness.service.js';

/** One entry per check (`database`, `worker`): its status and what it measured. */
const CHECKS: SchemaObject = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['up', 'down'] } },
  },
};

/** Terminus's body, `{status, info, error, details}`. */
const readiness = (status: string[]): SchemaObject => ({
  type: 'object',
  required: ['status', 'details'],
  properties: {
    status: { type: 'string', enum: status },
    info: { ...CHECKS, nullable: true },
    error: { ...CHECKS, nullable: true },
    details: CHECKS,
  },
});

@ApiTags('operations')
@Controller('health')
@Public()
export class HealthController {
  constructor(private readonly readiness: ReadinessService) {}

  /** The process is up and serving HTTP (a liveness probe: no dependency is checked). */
  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up' })
  @ApiOkResponse({
    schema: {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string', enum: ['ok'] } },
      additionalProperties: false,
    },
  })
  live() {
    return { status: 'ok' };
  }

  /** 200 when ready; 503 with terminus's body naming the failing check. */
  @Get('ready')
  // Documented here, not by terminus: its decorator only finds @nestjs/swagger through
  // require(), which does not load an ES module everywhere (jest's runtime).
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({
    summary: 'Readiness: database reachable; in worker processes, the claim loop alive',
    description: '503 when a check fails; `error` names it (`database`, `worker`).',
  })
  @ApiOkResponse({ description: 'Ready', schema: readiness(['ok']) })
  @ApiServiceUnavailableResponse({
    description: 'Not ready (or shutting down)',
    schema: readiness(['error', 'shutting_down']),
  })
  async ready(@Res({ passthrough: true }) res: Response) {
    const { ready, body } = await this.readiness.check();
    if (!ready) res.status(503);
    return body;
  }
}
