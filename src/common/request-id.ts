import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';

/** (pino-http declares `id` on every IncomingMessage; ours is always a string.) */
export type RequestWithId = Request & { id?: string };

const SAFE_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** Every request gets an id (the caller's `X-Request-Id` when sane), echoed in the response. */
export function requestId(req: RequestWithId, res: Response, next: NextFunction): void {
  // Already assigned by the request logger (pino-http), which may run first.
  if (req.id) return next();
  const offered = req.headers['x-request-id'];
  req.id = typeof offered === 'string' && SAFE_ID.test(offered) ? offered : randomUUID();
  res.setHeader('X-Request-Id', req.id);
  next();
}
