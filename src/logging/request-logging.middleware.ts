import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp, type HttpLogger } from 'pino-http';
import { requestId, type RequestWithId } from '../common/request-id.js';
import { logContext, ROOT_LOGGER, type RootLogger } from './logger.js';

/**
 * One log line per HTTP request (pino-http: method, route, status, duration), with the
 * request id; every other line written while the request is handled gets `requestId` too
 * (through the log context).
 */
@Injectable()
export class RequestLoggingMiddleware implements NestMiddleware {
  private readonly http: HttpLogger;

  constructor(@Inject(ROOT_LOGGER) root: RootLogger) {
    this.http = pinoHttp({
      logger: root.child({ context: 'HTTP' }),
      // The same id as X-Request-Id, whichever middleware runs first.
      genReqId: (req: IncomingMessage, res: ServerResponse) => {
        const withId = req as RequestWithId;
        if (!withId.id) requestId(withId, res as Response, () => undefined);
        return withId.id;
      },
      customProps: (req: IncomingMessage) =>
        logContext.getStore() ? {} : { requestId: (req as RequestWithId).id },
      customLogLevel: (_req, res, error) =>
        error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      // Health probes and scrapes every few seconds would drown the log.
      autoLogging: {
        ignore: (req) =>
          /^\/(health|metrics)(\/|\?|$)/.test((req as { originalUrl?: string }).originalUrl ?? ''),
      },
      quietReqLogger: true,
    });
  }

  use(req: RequestWithId, res: Response, next: NextFunction): void {
    this.http(req, res, () => {
      logContext.run({ requestId: req.id }, next);
    });
  }
}
