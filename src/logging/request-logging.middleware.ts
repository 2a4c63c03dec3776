import type { NextFunction, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp } from 'pino-http';
import { requestId, type RequestWithId } from '../common/request-id.js';
import { logContext, type RootLogger } from './logger.js';

/**
 * One log line per HTTP request (pino-http: method, URL, status, duration; no headers), with
 * the request id; every other line written while the request is handled gets `requestId` too
 * (through the log context). Mounted first (app.factory.ts), so even a request the input
 * edge refuses has an id and a line.
 */
export function requestLogging(root: RootLogger) {
  const http = pinoHttp({
    logger: root.child({ context: 'HTTP' }),
    // The same id as X-Request-Id.
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const withId = req as RequestWithId;
      if (!withId.id) requestId(withId, res as Response, () => undefined);
      return withId.id;
    },
    // A 4xx is the client's mistake, routine for a public API (and a fuzzer's whole output):
    // `info` like a success, so LOG_LEVEL=warn shows only what needs a person.
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    // What a request line needs, not the headers (size and privacy); a 5xx's stack and
    // request id are in the error filter's line.
    serializers: {
      req: (req: Record<string, unknown>) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        remoteAddress: req.remoteAddress,
      }),
      res: (res: Record<string, unknown>) => ({ statusCode: res.statusCode }),
    },
    // Health probes and scrapes every few seconds would drown the log.
    autoLogging: {
      ignore: (req) =>
        /^\/(health|metrics)(\/|\?|$)/.test((req as { originalUrl?: string }).originalUrl ?? ''),
    },
  });
  // The request line gets `requestId` from the log context, like every other line.
  return (req: RequestWithId, res: Response, next: NextFunction): void => {
    http(req, res, () => {
      logContext.run({ requestId: req.id }, next);
    });
  };
}
